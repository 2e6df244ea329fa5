#include "tools/menshen/args.h"

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace menshen::cli {

const char kPackSpecHelp[] =
    "Packs (--pack, repeatable): +defaults (the default packs compiled into menshen), the\n"
    "name of a compiled-in pack (menshen pack list), a .mspack file or a pack source\n"
    "folder. Without --pack the default packs are used; +defaults adds them to others.\n";

void ArgParser::Flag(std::string name, bool* out) {
  options_.push_back({std::move(name), false, [out](const std::string&) {
                        *out = true;
                        return absl::OkStatus();
                      }});
}

void ArgParser::Value(std::string name, std::string* out) {
  options_.push_back({std::move(name), true, [out](const std::string& v) {
                        *out = v;
                        return absl::OkStatus();
                      }});
}

void ArgParser::Values(std::string name, std::vector<std::string>* out) {
  options_.push_back({std::move(name), true, [out](const std::string& v) {
                        out->push_back(v);
                        return absl::OkStatus();
                      }});
}

void ArgParser::Number(std::string name, uint64_t* out, uint64_t min, uint64_t max) {
  const std::string label = absl::StrCat(command_, ": ", name);
  options_.push_back({std::move(name), true, [=](const std::string& v) {
                        uint64_t n = 0;
                        if (!absl::SimpleAtoi(v, &n) || n < min || n > max) {
                          return absl::InvalidArgumentError(absl::StrCat(
                              label, " takes a whole number from ", min, " to ", max, ", not '",
                              v, "'"));
                        }
                        *out = n;
                        return absl::OkStatus();
                      }});
}

void ArgParser::Real(std::string name, double* out, double min, double max) {
  const std::string label = absl::StrCat(command_, ": ", name);
  options_.push_back({std::move(name), true, [=](const std::string& v) {
                        double x = 0;
                        if (!absl::SimpleAtod(v, &x) || !(x >= min && x <= max)) {
                          return absl::InvalidArgumentError(absl::StrCat(
                              label, " takes a number from ", min, " to ", max, ", not '", v,
                              "'"));
                        }
                        *out = x;
                        return absl::OkStatus();
                      }});
}

void ArgParser::Choice(std::string name, std::string* out, std::vector<std::string> choices) {
  const std::string label = absl::StrCat(command_, ": ", name);
  options_.push_back({std::move(name), true, [=](const std::string& v) {
                        if (std::find(choices.begin(), choices.end(), v) == choices.end()) {
                          return absl::InvalidArgumentError(absl::StrCat(
                              label, " is ", absl::StrJoin(choices, ", "), "; not '", v, "'"));
                        }
                        *out = v;
                        return absl::OkStatus();
                      }});
}

void ArgParser::Positionals(std::vector<std::string>* out, size_t min, size_t max) {
  positionals_ = out;
  min_positionals_ = min;
  max_positionals_ = max;
}

const ArgParser::Option* ArgParser::Find(std::string_view name) const {
  for (const Option& o : options_) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

absl::Status ArgParser::Parse(const std::vector<std::string>& args) {
  size_t positional_count = 0;
  bool only_positionals = false;  // after "--"
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (!only_positionals && a == "--") {
      only_positionals = true;
      continue;
    }
    if (only_positionals || a == "-" || a.empty() || a[0] != '-') {
      if (positionals_ == nullptr || positional_count == max_positionals_) {
        return absl::InvalidArgumentError(
            absl::StrCat(command_, ": unexpected argument '", a, "'"));
      }
      positionals_->push_back(a);
      ++positional_count;
      continue;
    }
    const size_t eq = a.find('=');
    const std::string name = a.substr(0, eq);
    const Option* option = Find(name);
    if (option == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(command_, ": unknown option '", name, "'"));
    }
    std::string value;
    if (!option->takes_value) {
      if (eq != std::string::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat(command_, ": ", name, " takes no value"));
      }
    } else if (eq != std::string::npos) {
      value = a.substr(eq + 1);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat(command_, ": ", name, " needs a value"));
    }
    if (absl::Status s = option->set(value); !s.ok()) return s;
  }
  if (positional_count < min_positionals_) {
    return absl::InvalidArgumentError(
        absl::StrCat(command_, ": needs ", min_positionals_ == 1 ? "an argument" : "more arguments",
                     " (see menshen ", command_, " --help)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::shared_ptr<const Pack>>> LoadPackSpecs(
    const std::vector<std::string>& specs) {
  std::vector<std::shared_ptr<const Pack>> packs;
  bool with_defaults = specs.empty();
  const std::vector<std::string> embedded = Pack::EmbeddedPackNames();
  auto add_defaults = [&packs]() -> absl::Status {
    absl::StatusOr<std::vector<std::shared_ptr<const Pack>>> defaults = Pack::Defaults();
    if (!defaults.ok()) return defaults.status();
    packs.insert(packs.end(), defaults->begin(), defaults->end());
    return absl::OkStatus();
  };
  if (specs.empty()) {
    if (absl::Status s = add_defaults(); !s.ok()) return s;
  }
  for (const std::string& spec : specs) {
    if (spec == "+defaults") {
      with_defaults = true;
      if (absl::Status s = add_defaults(); !s.ok()) return s;
      continue;
    }
    // A name of a compiled-in pack, unless a file or folder of that name is
    // right here: a path the user typed always means that path.
    std::error_code ec;
    const bool is_name = std::find(embedded.begin(), embedded.end(), spec) != embedded.end() &&
                         !std::filesystem::exists(spec, ec);
    absl::StatusOr<std::shared_ptr<const Pack>> pack =
        is_name ? Pack::Embedded(spec) : Pack::Load(spec);
    if (!pack.ok()) {
      if (!is_name && !std::filesystem::exists(spec, ec) && spec.find('/') == std::string::npos &&
          spec.find('.') == std::string::npos) {
        return absl::NotFoundError(absl::StrCat(
            "no pack '", spec, "': not a file or folder, nor a compiled-in pack (",
            absl::StrJoin(embedded, ", "), ")"));
      }
      return pack.status();
    }
    for (const std::string& n : (*pack)->notes()) std::cerr << "menshen: note: " << n << "\n";
    packs.push_back(*std::move(pack));
  }
  absl::flat_hash_set<std::string> names;
  for (const std::shared_ptr<const Pack>& p : packs) {
    if (!names.insert(p->info().name).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "pack names must be unique: '", p->info().name, "' is given twice",
          with_defaults ? absl::StrCat(" (+defaults is ", absl::StrJoin(Pack::DefaultPackNames(), ", "), ")")
                        : std::string()));
    }
  }
  return packs;
}

}  // namespace menshen::cli
