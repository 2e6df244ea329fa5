// Fuzz target: any bytes as a policy file. Compiling must fail with a message
// or give a policy whose decisions hold up on a few fixed hit sets.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "menshen/decision.h"
#include "menshen/policy.h"
#include "lib/policy/compiled_policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto policy = menshen::Policy::Parse(text, "fuzz.textproto");
  if (!policy.ok()) return 0;
  const std::string_view sample = "出售冰毒 and you idiot 13812345678";
  for (const char* category : {"A1.8", "A4.3", "X1", "A2.4"}) {
    for (int severity = 1; severity <= 4; ++severity) {
      menshen::Decision d;
      menshen::Hit h;
      h.category = category;
      h.severity = severity;
      h.start = 0;
      h.end = 12;
      d.hits.push_back(h);
      for (auto direction : {menshen::Direction::kInput, menshen::Direction::kOutput}) {
        for (const std::string& profile : (*policy)->profiles()) {
          if (!(*policy)->compiled().Decide(sample, direction, profile, "", &d).ok()) std::abort();
          const bool refusing = d.action == menshen::Action::kRefuse || d.action == menshen::Action::kBlock;
          if (refusing && d.refusal.empty()) std::abort();  // validation promised a template
        }
      }
    }
  }
  return 0;
}
