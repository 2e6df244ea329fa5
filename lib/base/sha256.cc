#include "lib/base/sha256.h"

#include <openssl/evp.h>

#include "absl/strings/escaping.h"

namespace menshen::internal {

// EVP calls only fail on allocation failure or a broken OpenSSL build; the
// digest of such a run would be wrong, so Finish() then returns all 0xFF
// bytes, which no checksum comparison accepts.
Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ != nullptr &&
      EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_));
    ctx_ = nullptr;
  }
}

Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha256::Reset() {
  if (ctx_ == nullptr) ctx_ = EVP_MD_CTX_new();
  if (ctx_ != nullptr &&
      EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr) != 1) {
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
  Sha256 h;
  h.Update(bytes);
  return h.Finish();
}

std::string_view DigestBytes(const Sha256Digest& digest) {
  return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

std::string DigestToHex(const Sha256Digest& digest) {
  return absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(digest.data()), digest.size()));
}

}  // namespace menshen::internal
