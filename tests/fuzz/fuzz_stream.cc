// Fuzz target: any bytes through a stream, in chunk sizes taken from the
// input, against block mode on the same text with the default packs. A stream
// must never crash, and must agree with block mode: the same hits and action
// and, unless cut, the released text equal to block mode's masked text (cut:
// a prefix of it). A stream cut for a limit fails closed: never ALLOW.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "menshen/engine.h"
#include "menshen/stream.h"

namespace {

const menshen::Engine& TheEngine() {
  static const std::shared_ptr<const menshen::Engine> engine = [] {
    auto packs = menshen::Pack::Defaults();
    if (!packs.ok()) std::abort();
    menshen::EngineOptions options;
    options.max_stream_hits = size_t{1} << 20;  // compare every hit with block mode
    options.max_stream_holdback_bytes = 4096;   // reachable by fuzz inputs
    auto e = menshen::Engine::Create(*packs, options);
    if (!e.ok()) std::abort();
    return *e;
  }();
  return *engine;
}

}  // namespace

// Input: one byte of chunking (0: 1-byte chunks, else sizes 1..seed cycled
// from the following bytes' low bits), then the text.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const unsigned seed = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  menshen::Decision block;
  if (!TheEngine().Check(text, menshen::Direction::kOutput, &block).ok()) std::abort();

  menshen::CheckRequest request;
  request.direction = menshen::Direction::kOutput;
  auto stream = TheEngine().OpenStream(request);
  if (!stream.ok()) std::abort();
  std::string released;
  size_t pos = 0;
  for (size_t k = 0; pos < text.size(); ++k) {
    size_t n = 1;
    if (seed != 0) n = 1 + (static_cast<unsigned char>(text[k % text.size()]) + k) % seed;
    n = std::min(n, text.size() - pos);
    const absl::Status fed = stream->Feed(text.substr(pos, n), &released);
    if (!fed.ok() && fed.code() != absl::StatusCode::kResourceExhausted) std::abort();
    pos += n;
  }
  if (!stream->Finish(&released).ok()) std::abort();
  const menshen::Decision& d = stream->decision();
  if (!d.cut_reason.empty() && (!stream->cut() || d.action < menshen::Action::kRefuse)) {
    std::abort();  // a stream cut by a limit fails closed
  }
  if (stream->cut()) {
    if (block.masked.compare(0, released.size(), released) != 0) std::abort();
    if (d.action != menshen::Action::kRefuse && d.action != menshen::Action::kBlock) std::abort();
    return 0;
  }
  if (released != block.masked || d.action != block.action || d.hits.size() != block.hits.size() ||
      d.rejected_by_validators != block.rejected_by_validators) {
    std::abort();
  }
  for (size_t i = 0; i < d.hits.size(); ++i) {
    if (d.hits[i].start != block.hits[i].start || d.hits[i].end != block.hits[i].end ||
        d.hits[i].entry_id != block.hits[i].entry_id) {
      std::abort();
    }
  }
  return 0;
}
