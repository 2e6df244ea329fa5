#include "lib/pack/mspack_file.h"

#include <cstring>

#include "absl/base/internal/endian.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/stubs/logging.h"
#include "lib/base/sha256.h"

namespace menshen::internal {
namespace {

constexpr uint64_t kMaxPayloadBytes = uint64_t{1} << 30;  // protobuf parses < 2 GiB
constexpr char kMagic[8] = {'M', 'S', 'H', 'N', 'P', 'A', 'C', 'K'};

std::string SerializeDeterministically(const pack::CompiledPack& pack) {
  std::string payload;
  {
    google::protobuf::io::StringOutputStream stream(&payload);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    pack.SerializeToCodedStream(&coded);
  }
  return payload;
}

}  // namespace

std::string EncodeMspack(const pack::CompiledPack& pack) {
  const std::string payload = SerializeDeterministically(pack);
  std::string out(kMspackHeaderSize, '\0');
  std::memcpy(out.data(), kMagic, sizeof(kMagic));
  absl::little_endian::Store32(out.data() + 8, kMspackFormatVersion);
  absl::little_endian::Store32(out.data() + 12, kMspackHeaderSize);
  absl::little_endian::Store64(out.data() + 16, payload.size());
  const Sha256Digest digest = Sha256Of(payload);
  std::memcpy(out.data() + 24, digest.data(), digest.size());
  out += payload;
  return out;
}

absl::StatusOr<DecodedMspack> DecodeMspack(std::string_view bytes, std::string_view name) {
  const absl::string_view who(name.data(), name.size());
  if (bytes.size() < kMspackHeaderSize) {
    if (bytes.size() >= sizeof(kMagic) && std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) {
      return absl::InvalidArgumentError(absl::StrCat(who, ": not a .mspack file (bad magic)"));
    }
    return absl::DataLossError(absl::StrCat(who, ": truncated .mspack: ", bytes.size(),
                                            " bytes, shorter than its ", kMspackHeaderSize,
                                            "-byte header"));
  }
  if (std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(who, ": not a .mspack file (bad magic)"));
  }
  const uint32_t version = absl::little_endian::Load32(bytes.data() + 8);
  if (version < kMspackOldestFormatVersion || version > kMspackFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        who, ": .mspack format version ", version, " is not supported (this menshen reads ",
        kMspackOldestFormatVersion, " to ", kMspackFormatVersion,
        "); rebuild the pack with `menshen pack build`"));
  }
  const uint32_t header_size = absl::little_endian::Load32(bytes.data() + 12);
  const uint64_t payload_size = absl::little_endian::Load64(bytes.data() + 16);
  if (header_size != kMspackHeaderSize) {
    return absl::DataLossError(absl::StrCat(who, ": corrupt .mspack header (header size ",
                                            header_size, ")"));
  }
  const uint64_t available = bytes.size() - kMspackHeaderSize;
  if (payload_size > available) {
    return absl::DataLossError(absl::StrCat(who, ": truncated .mspack: payload of ", payload_size,
                                            " bytes, only ", available, " present"));
  }
  if (payload_size < available) {
    return absl::DataLossError(absl::StrCat(who, ": corrupt .mspack: ", available - payload_size,
                                            " unexpected bytes after the payload"));
  }
  if (payload_size > kMaxPayloadBytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat(who, ": .mspack payload of ", payload_size, " bytes exceeds the 1 GiB limit"));
  }
  const std::string_view payload = bytes.substr(kMspackHeaderSize);
  const Sha256Digest digest = Sha256Of(payload);
  if (std::memcmp(digest.data(), bytes.data() + 24, digest.size()) != 0) {
    return absl::DataLossError(
        absl::StrCat(who, ": corrupt .mspack: the payload does not match its SHA-256"));
  }
  DecodedMspack out;
  // A damaged payload with a valid checksum can hold invalid UTF-8 in string
  // fields; protobuf then logs to stderr before failing, and a library must
  // not print. The silencer holds protobuf's logging for the parse.
  google::protobuf::LogSilencer quiet;
  if (!out.pack.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return absl::DataLossError(absl::StrCat(who, ": corrupt .mspack: the payload does not parse"));
  }
  out.payload_sha256_hex = DigestToHex(digest);
  return out;
}

}  // namespace menshen::internal
