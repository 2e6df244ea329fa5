// Streams come from a pool: once warm, opening, feeding, finishing and
// closing a stream allocate nothing. Counts every operator new in this
// binary (which is why it is a binary of its own, left out of sanitizer
// builds, whose runtimes replace operator new themselves).
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <new>
#include <string>

#include "gtest/gtest.h"
#include "menshen/engine.h"
#include "menshen/stream.h"
#include "tests/test_util.h"

namespace {
std::atomic<bool> counting{false};
std::atomic<long> allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace menshen {
namespace {

TEST(StreamAllocations, SteadyStateStreamsAllocateNothing) {
  const std::string dir = std::string(MENSHEN_TEST_TMPDIR) + "/alloc-" + std::to_string(::getpid());
  testing::WritePack(dir, testing::Manifest("alloc", /*with_regexes=*/true),
                     {{"terms.tsv", "傻逼\tA4.3\t2\nfuck\tA4.3\t2\tword\n"},
                      {"regexes.tsv", "1[3-9]\\d{9}\tX1\t2\tword\n"}});
  absl::StatusOr<std::shared_ptr<const Pack>> pack = Pack::Load(dir);
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(pack.ok()) << pack.status();
  absl::StatusOr<std::shared_ptr<const Engine>> engine = Engine::Create({*pack});
  ASSERT_TRUE(engine.ok());
  CheckRequest request;
  request.direction = Direction::kOutput;
  request.request_id = "a request id longer than the small-string buffer";
  const std::string text = "你好，傻 逼！call 13912345678 now, fuck that. 结束了。";
  std::string released;
  released.reserve(4096);
  auto run = [&] {
    absl::StatusOr<Stream> stream = (*engine)->OpenStream(request);
    ASSERT_TRUE(stream.ok());
    for (size_t pos = 0; pos < text.size(); pos += 16) {
      ASSERT_TRUE(stream->Feed(std::string_view(text).substr(pos, 16), &released).ok());
    }
    ASSERT_TRUE(stream->Finish(&released).ok());
    ASSERT_EQ(stream->decision().action, Action::kMask);
  };
  for (int i = 0; i < 3; ++i) {  // warm the pools
    released.clear();
    run();
  }
  released.clear();
  counting = true;
  run();
  counting = false;
  EXPECT_EQ(allocations.load(), 0);
}

}  // namespace
}  // namespace menshen
