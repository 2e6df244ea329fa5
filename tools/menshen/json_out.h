// JSON output shared by the commands: one object per line, field names as in
// the .proto files, every field printed (a zero count is a fact, not a gap).
#ifndef MENSHEN_TOOLS_MENSHEN_JSON_OUT_H_
#define MENSHEN_TOOLS_MENSHEN_JSON_OUT_H_

#include <string>

#include "google/protobuf/message.h"
#include "google/protobuf/util/json_util.h"

namespace menshen::cli {

google::protobuf::util::JsonPrintOptions JsonPrintOptions();

// Appends `message` as one line of JSON to `out`; false if it cannot be
// printed (invalid UTF-8 in a string field).
bool AppendJsonLine(const google::protobuf::Message& message, std::string* out);

// Prints `message` as one JSON line on stdout. Returns kExitOk, or after a
// message on stderr kExitBadInput.
int PrintJsonLine(const google::protobuf::Message& message);

}  // namespace menshen::cli

#endif  // MENSHEN_TOOLS_MENSHEN_JSON_OUT_H_
