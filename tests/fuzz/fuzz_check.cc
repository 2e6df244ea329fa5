// Fuzz target: any bytes through Engine::Check with the starter pack. The
// engine must never crash, and every hit must lie inside the text on
// code-point boundaries the decision's masking can use.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "menshen/engine.h"

namespace {

const menshen::Engine& TheEngine() {
  static const std::shared_ptr<const menshen::Engine> engine = [] {
    auto pack = menshen::Pack::Starter();
    if (!pack.ok()) std::abort();
    auto e = menshen::Engine::Create({*pack});
    if (!e.ok()) std::abort();
    return *e;
  }();
  return *engine;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  menshen::Decision d;
  if (!TheEngine().Check(text, menshen::Direction::kOutput, &d).ok()) std::abort();
  size_t last_start = 0;
  for (const menshen::Hit& h : d.hits) {
    if (h.start >= h.end || h.end > size || h.start < last_start) std::abort();
    last_start = h.start;
  }
  if (d.hits.empty() != (d.action == menshen::Action::kAllow)) std::abort();
  if (d.hits.empty() && d.masked != text) std::abort();
  return 0;
}
