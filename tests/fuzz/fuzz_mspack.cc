// Fuzz target: any bytes as a .mspack artefact. Loading must fail cleanly or
// give a usable pack; never crash. The checksum rejects almost every mutation,
// so the input is also tried with a freshly computed checksum to reach the
// payload parser and the loader's consistency checks.
#include <cstdint>
#include <cstring>
#include <string>

#include "lib/base/sha256.h"
#include "lib/pack/mspack_file.h"
#include "menshen/pack.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  (void)menshen::Pack::FromBytes(bytes, "fuzz.mspack");
  if (bytes.size() >= menshen::internal::kMspackHeaderSize) {
    const std::string_view payload(bytes.data() + menshen::internal::kMspackHeaderSize,
                                   bytes.size() - menshen::internal::kMspackHeaderSize);
    const uint64_t payload_size = payload.size();
    std::memcpy(bytes.data() + 16, &payload_size, sizeof(payload_size));  // little-endian host
    const auto digest = menshen::internal::Sha256Of(payload);
    std::memcpy(bytes.data() + 24, digest.data(), digest.size());
    (void)menshen::Pack::FromBytes(bytes, "fuzz.mspack");
  }
  return 0;
}
