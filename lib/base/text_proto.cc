#include "lib/base/text_proto.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "lib/base/absl_view.h"
#include "lib/base/utf8.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"

namespace menshen::internal {
namespace {

// Keeps the first error; protobuf reports 0-based lines and columns.
class FirstErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (!has_error_) {
      has_error_ = true;
      line_ = line + 1;
      column_ = column + 1;
      message_ = message;
    }
  }
  bool has_error() const { return has_error_; }
  int line() const { return line_; }
  int column() const { return column_; }
  const std::string& message() const { return message_; }

 private:
  bool has_error_ = false;
  int line_ = 0;
  int column_ = 0;
  std::string message_;
};

}  // namespace

absl::Status ParseTextProto(std::string_view file_name, std::string_view content,
                            google::protobuf::Message* message,
                            google::protobuf::TextFormat::ParseInfoTree* locations) {
  // Protobuf would accept invalid UTF-8 in string fields here and log about
  // it when the message is serialised; refuse it up front, with its line.
  char32_t cp;
  for (size_t i = 0, line = 1; i < content.size();) {
    const size_t n = DecodeUtf8(content, i, &cp);
    if (n == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(AV(file_name), ":", line, ": not valid UTF-8"));
    }
    line += content[i] == '\n';
    i += n;
  }
  FirstErrorCollector errors;
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  if (locations != nullptr) parser.WriteLocationsTo(locations);
  if (!parser.ParseFromString(std::string(content), message)) {
    if (errors.has_error()) {
      return absl::InvalidArgumentError(absl::StrCat(
          AV(file_name), ":", errors.line(), ":", errors.column(), ": ", errors.message()));
    }
    return absl::InvalidArgumentError(absl::StrCat(AV(file_name), ": not a valid ",
                                                   message->GetTypeName(), " text proto"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": is a directory, not a file"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot open: ", std::strerror(errno)));
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) {
    return absl::DataLossError(absl::StrCat(path, ": read error: ", std::strerror(errno)));
  }
  return std::move(buffer).str();
}

}  // namespace menshen::internal
