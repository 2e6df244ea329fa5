// SHA-256 digests (libcrypto), for pack checksums, source hashes and ids.
#ifndef MENSHEN_LIB_BASE_SHA256_H_
#define MENSHEN_LIB_BASE_SHA256_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace menshen::internal {

using Sha256Digest = std::array<uint8_t, 32>;

// Incremental hashing of several pieces.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(std::string_view bytes);
  Sha256Digest Finish();
  // Starts a new digest (also after Finish).
  void Reset();
  // Continues from `other`'s state (for forked streams).
  void CopyFrom(const Sha256& other);

 private:
  void* ctx_;  // EVP_MD_CTX, kept opaque so OpenSSL headers stay here
};

Sha256Digest Sha256Of(std::string_view bytes);
std::string DigestToHex(const Sha256Digest& digest);
std::string_view DigestBytes(const Sha256Digest& digest);

}  // namespace menshen::internal

#endif  // MENSHEN_LIB_BASE_SHA256_H_
