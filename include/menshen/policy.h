// Policies: how hits become actions. A policy file (policy.textproto, schema
// lib/policy/policy.proto) holds named profiles of ordered rules, refusal
// templates per category and locale, the masking style and the AI-generated
// label for output. See keyword_packs/policies/default.textproto.
//
// Thread safety: a Policy is immutable after loading and may be shared by any
// number of threads and engines.
#ifndef MENSHEN_POLICY_H_
#define MENSHEN_POLICY_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace menshen {

namespace internal {
class CompiledPolicy;
}  // namespace internal

struct PolicyLoadOptions {
  // A taxonomy text proto to check category codes against; empty means the one
  // compiled into the library (keyword_packs/taxonomy.textproto).
  std::string taxonomy_path;
};

class Policy {
 public:
  // Loads and validates a policy file. Errors name the file and line: syntax,
  // unknown category codes, unreachable rules, an action that needs a refusal
  // template without one, an unknown default profile, duplicate names.
  static absl::StatusOr<std::shared_ptr<const Policy>> Load(const std::string& path,
                                                            const PolicyLoadOptions& options = {});
  // The same from text; `file_name` appears in errors.
  static absl::StatusOr<std::shared_ptr<const Policy>> Parse(std::string_view text,
                                                             std::string_view file_name,
                                                             const PolicyLoadOptions& options = {});
  // The default policy compiled into the library
  // (keyword_packs/policies/default.textproto), compiled on first use and
  // shared. Null only if the library was built with a default policy that does
  // not compile, a build bug its tests catch.
  static std::shared_ptr<const Policy> Default();

  ~Policy();
  Policy(const Policy&) = delete;
  Policy& operator=(const Policy&) = delete;

  // The policy file's `version`, reported in every decision and audit record.
  const std::string& version() const;
  // The profile used when a request names none.
  const std::string& default_profile() const;
  // Profile names in file order.
  std::vector<std::string> profiles() const;
  bool has_profile(std::string_view name) const;

  // For the library's own stages; not part of the stable API.
  explicit Policy(std::unique_ptr<internal::CompiledPolicy> compiled);
  const internal::CompiledPolicy& compiled() const { return *compiled_; }

 private:
  std::unique_ptr<internal::CompiledPolicy> compiled_;
};

}  // namespace menshen

#endif  // MENSHEN_POLICY_H_
