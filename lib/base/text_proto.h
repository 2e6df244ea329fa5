// Parsing protobuf text format with errors that name the file, line and column.
#ifndef MENSHEN_LIB_BASE_TEXT_PROTO_H_
#define MENSHEN_LIB_BASE_TEXT_PROTO_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/text_format.h"

namespace menshen::internal {

// Parses `content` into `message`. On failure the status reads
// "<file_name>:<line>:<column>: <what is wrong>" (lines and columns 1-based).
// With `locations`, records where each field was written, so later checks
// can name lines too.
absl::Status ParseTextProto(std::string_view file_name, std::string_view content,
                            google::protobuf::Message* message,
                            google::protobuf::TextFormat::ParseInfoTree* locations = nullptr);

// Reads a whole file. Errors name the path and the system's reason.
absl::StatusOr<std::string> ReadFile(const std::string& path);

}  // namespace menshen::internal

#endif  // MENSHEN_LIB_BASE_TEXT_PROTO_H_
