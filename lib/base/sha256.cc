#include "lib/base/sha256.h"

#include <openssl/evp.h>

#include "absl/strings/escaping.h"

namespace menshen::internal {

namespace {

// The SHA-256 implementation, fetched once: EVP_sha256() makes OpenSSL 3 look
// it up again in every EVP_DigestInit_ex, which cost more than hashing an
// entry id (65k of them when a large pack loads).
const EVP_MD* Sha256Md() {
  static const EVP_MD* const md = [] {
    const EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return fetched != nullptr ? fetched : EVP_sha256();
  }();
  return md;
}

}  // namespace

// EVP calls only fail on allocation failure or a broken OpenSSL build; the
// digest of such a run would be wrong, so Finish() then returns all 0xFF
// bytes, which no checksum comparison accepts.
Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ != nullptr &&
      EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), Sha256Md(), nullptr) != 1) {
    EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_));
    ctx_ = nullptr;
  }
}

Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha256::Reset() {
  if (ctx_ == nullptr) ctx_ = EVP_MD_CTX_new();
  if (ctx_ != nullptr &&
      EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), Sha256Md(), nullptr) != 1) {
    EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_));
    ctx_ = nullptr;
  }
}

void Sha256::CopyFrom(const Sha256& other) {
  if (other.ctx_ == nullptr) {
    EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_));
    ctx_ = nullptr;
    return;
  }
  if (ctx_ == nullptr) ctx_ = EVP_MD_CTX_new();
  if (ctx_ != nullptr && EVP_MD_CTX_copy_ex(static_cast<EVP_MD_CTX*>(ctx_),
                                            static_cast<const EVP_MD_CTX*>(other.ctx_)) != 1) {
    EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_));
    ctx_ = nullptr;
  }
}

void Sha256::Update(std::string_view bytes) {
  if (ctx_ != nullptr &&
      EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), bytes.data(), bytes.size()) != 1) {
    EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_));
    ctx_ = nullptr;
  }
}

Sha256Digest Sha256::Finish() {
  Sha256Digest digest;
  digest.fill(0xFF);
  unsigned int len = 0;
  if (ctx_ != nullptr) {
    EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), digest.data(), &len);
    if (len != digest.size()) digest.fill(0xFF);
  }
  return digest;
}

Sha256Digest Sha256Of(std::string_view bytes) {
  Sha256Digest digest;
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &len, Sha256Md(), nullptr) != 1 ||
      len != digest.size()) {
    digest.fill(0xFF);
  }
  return digest;
}

std::string_view DigestBytes(const Sha256Digest& digest) {
  return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

std::string DigestToHex(const Sha256Digest& digest) {
  return absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(digest.data()), digest.size()));
}

}  // namespace menshen::internal
