// The argument parser every menshen command shares, so options look and fail
// the same everywhere: `--name value` or `--name=value`, repeatable options,
// typed values checked once, positionals, and errors that name the command.
#ifndef MENSHEN_TOOLS_MENSHEN_ARGS_H_
#define MENSHEN_TOOLS_MENSHEN_ARGS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "menshen/pack.h"

namespace menshen::cli {

class ArgParser {
 public:
  // `command` prefixes every error: "eval: --min-refuse takes a number …".
  explicit ArgParser(std::string command) : command_(std::move(command)) {}

  // A switch without a value.
  void Flag(std::string name, bool* out);
  // One value; given twice, the last wins.
  void Value(std::string name, std::string* out);
  // A repeatable option: every value, in order.
  void Values(std::string name, std::vector<std::string>* out);
  // An integer in [min, max].
  void Number(std::string name, uint64_t* out, uint64_t min, uint64_t max);
  // A real number in [min, max] (rates, thresholds).
  void Real(std::string name, double* out, double min, double max);
  // One of `choices`.
  void Choice(std::string name, std::string* out, std::vector<std::string> choices);
  // Arguments not starting with "-" (and "-" itself, standard input), at
  // least `min` and at most `max` of them.
  void Positionals(std::vector<std::string>* out, size_t min, size_t max);

  // Fills the outputs; InvalidArgument names the command and the argument.
  absl::Status Parse(const std::vector<std::string>& args);

 private:
  struct Option {
    std::string name;
    bool takes_value;
    std::function<absl::Status(const std::string&)> set;
  };
  const Option* Find(std::string_view name) const;

  std::string command_;
  std::vector<Option> options_;
  std::vector<std::string>* positionals_ = nullptr;
  size_t min_positionals_ = 0;
  size_t max_positionals_ = 0;
};

// Packs named on the command line, each one of:
//   +defaults         the default packs compiled into menshen (Pack::Defaults())
//   NAME              a pack compiled into menshen (Pack::EmbeddedPackNames())
//   FILE.mspack | DIR a built pack or a pack source folder
// No specs at all means +defaults. Notes from loading go to stderr. Two packs
// of one name are an error, since hits and audit records name packs.
absl::StatusOr<std::vector<std::shared_ptr<const Pack>>> LoadPackSpecs(
    const std::vector<std::string>& specs);

// The help text's paragraph about pack specs, shared by every command that
// takes --pack.
extern const char kPackSpecHelp[];

}  // namespace menshen::cli

#endif  // MENSHEN_TOOLS_MENSHEN_ARGS_H_
