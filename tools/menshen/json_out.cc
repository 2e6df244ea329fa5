#include "tools/menshen/json_out.h"

#include <iostream>

#include "tools/menshen/commands.h"

namespace menshen::cli {

google::protobuf::util::JsonPrintOptions JsonPrintOptions() {
  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  print.always_print_primitive_fields = true;
  return print;
}

bool AppendJsonLine(const google::protobuf::Message& message, std::string* out) {
  std::string line;
  if (!google::protobuf::util::MessageToJsonString(message, &line, JsonPrintOptions()).ok()) {
    return false;
  }
  out->append(line);
  out->push_back('\n');
  return true;
}

int PrintJsonLine(const google::protobuf::Message& message) {
  std::string line;
  if (!AppendJsonLine(message, &line)) {
    return Fail(kExitBadInput, "cannot print " + message.GetTypeName() + " as JSON");
  }
  std::cout << line;
  return kExitOk;
}

}  // namespace menshen::cli
