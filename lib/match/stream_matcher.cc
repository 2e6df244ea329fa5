#include "lib/match/stream_matcher.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace menshen::internal {
namespace {

std::string EntryOrigin(const LoadedPack& p, const pack::Entry& e) {
  return absl::StrCat("pack '", p.compiled.manifest().name(), "' ", e.file(), ":", e.line());
}

// The most folded bytes a regex can match; an error when unbounded.
absl::StatusOr<size_t> StreamableWidth(const LoadedPack& p, const pack::Entry& e) {
  absl::StatusOr<size_t> width = RegexMaxWidth(e.term());
  if (!width.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(EntryOrigin(p, e), ": regex '", e.term(),
                                                   "' does not compile: ",
                                                   width.status().message()));
  }
  if (*width == kUnboundedWidth) {
    return absl::FailedPreconditionError(absl::StrCat(
        EntryOrigin(p, e), ": regex '", e.term(),
        "' can match text of unbounded length, which a stream would have to hold back "
        "without limit; bound its repeats (e.g. {1,64} instead of + or *) to stream with it"));
  }
  return *width;
}

absl::StatusOr<HsDatabasePtr> Compile(const std::vector<const char*>& patterns,
                                      const std::vector<size_t>& lengths,
                                      const std::vector<unsigned>& flags, bool literal) {
  if (patterns.empty()) return HsDatabasePtr();
  std::vector<unsigned> ids(patterns.size());
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<unsigned>(i);
  hs_database_t* db = nullptr;
  hs_compile_error_t* raw_error = nullptr;
  const unsigned count = static_cast<unsigned>(patterns.size());
  // Regexes report where a match starts; in streaming mode that needs a
  // start-of-match horizon, and the large one keeps starts exact however long
  // the stream runs.
  const hs_error_t rc =
      literal ? hs_compile_lit_multi(patterns.data(), flags.data(), ids.data(), lengths.data(),
                                     count, HS_MODE_STREAM, nullptr, &db, &raw_error)
              : hs_compile_multi(patterns.data(), flags.data(), ids.data(), count,
                                 HS_MODE_STREAM | HS_MODE_SOM_HORIZON_LARGE, nullptr, &db,
                                 &raw_error);
  CompileErrorPtr error(raw_error);
  if (rc != HS_SUCCESS) {
    return absl::InternalError(absl::StrCat(
        "Hyperscan could not build the streaming ", literal ? "literal" : "regex",
        " database: ", error != nullptr && error->message != nullptr ? error->message : "?"));
  }
  return HsDatabasePtr(db);
}

struct ScanContext {
  const std::vector<StreamDatabases::Pattern>* patterns;
  bool literal;
  std::vector<StreamCandidate>* out;
};

int OnMatch(unsigned id, unsigned long long from, unsigned long long to, unsigned /*flags*/,
            void* raw) {
  auto* c = static_cast<ScanContext*>(raw);
  if (id >= c->patterns->size()) return 0;
  const StreamDatabases::Pattern& p = (*c->patterns)[id];
  const uint64_t start = c->literal ? to - p.length : from;
  if (to <= start) return 0;
  c->out->push_back(StreamCandidate{p.pack, p.entry, start, to, p.facts});
  return 0;
}

}  // namespace

absl::StatusOr<std::unique_ptr<StreamDatabases>> StreamDatabases::Build(
    absl::Span<const LoadedPack* const> packs, absl::Span<const StreamEntryFacts> facts) {
  size_t entries = 0;
  for (const LoadedPack* p : packs) entries += static_cast<size_t>(p->compiled.entries_size());
  if (facts.size() != entries) {
    return absl::InternalError("stream databases: one StreamEntryFacts per entry is needed");
  }
  size_t flat = 0;
  auto dbs = std::make_unique<StreamDatabases>();
  std::vector<const char*> lit_patterns, re_patterns;
  std::vector<size_t> lit_lengths, re_lengths;
  std::vector<unsigned> lit_flags, re_flags;
  for (size_t pi = 0; pi < packs.size(); ++pi) {
    const LoadedPack& p = *packs[pi];
    const auto& entries = p.compiled.entries();
    for (int ei = 0; ei < entries.size(); ++ei, ++flat) {
      const pack::Entry& e = entries[ei];
      if (e.kind() == pack::RULE) continue;  // rules are evaluated over their parts' hits
      const Pattern pattern{static_cast<uint32_t>(pi), static_cast<uint32_t>(ei),
                            static_cast<uint32_t>(e.folded().size()), facts[flat]};
      if (e.kind() == pack::LITERAL) {
        if (e.folded().empty()) continue;
        lit_patterns.push_back(e.folded().c_str());
        lit_lengths.push_back(e.folded().size());
        lit_flags.push_back(0);
        dbs->literal_patterns_.push_back(pattern);
        dbs->max_width_ = std::max(dbs->max_width_, e.folded().size());
      } else {
        absl::StatusOr<size_t> width = StreamableWidth(p, e);
        if (!width.ok()) return width.status();
        re_patterns.push_back(e.term().c_str());
        re_lengths.push_back(e.term().size());
        re_flags.push_back(kRegexFlags);
        dbs->regex_patterns_.push_back(pattern);
        dbs->max_width_ = std::max(dbs->max_width_, *width);
      }
    }
  }
  absl::StatusOr<HsDatabasePtr> literals = Compile(lit_patterns, lit_lengths, lit_flags, true);
  if (!literals.ok()) return literals.status();
  absl::StatusOr<HsDatabasePtr> regexes = Compile(re_patterns, re_lengths, re_flags, false);
  if (!regexes.ok()) return regexes.status();
  dbs->literals_ = *std::move(literals);
  dbs->regexes_ = *std::move(regexes);

  hs_scratch_t* scratch = nullptr;
  for (const hs_database_t* db : {dbs->literals_.get(), dbs->regexes_.get()}) {
    if (db == nullptr) continue;
    size_t size = 0;
    if (hs_stream_size(db, &size) != HS_SUCCESS ||
        hs_alloc_scratch(db, &scratch) != HS_SUCCESS) {
      hs_free_scratch(scratch);
      return absl::ResourceExhaustedError("could not allocate Hyperscan stream scratch");
    }
    dbs->stream_state_bytes_ += size;
  }
  dbs->prototype_.reset(scratch);
  return dbs;
}

StreamDatabases::~StreamDatabases() {
  for (std::atomic<hs_scratch_t*>& slot : slots_) hs_free_scratch(slot.load());
}

absl::StatusOr<HsScratchPtr> StreamDatabases::AcquireScratch() const {
  for (std::atomic<hs_scratch_t*>& slot : slots_) {
    if (slot.load(std::memory_order_relaxed) == nullptr) continue;
    if (hs_scratch_t* s = slot.exchange(nullptr, std::memory_order_acquire)) {
      return HsScratchPtr(s);
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!scratch_pool_.empty()) {
      HsScratchPtr s = std::move(scratch_pool_.back());
      scratch_pool_.pop_back();
      return s;
    }
  }
  if (prototype_ == nullptr) return HsScratchPtr();
  hs_scratch_t* s = nullptr;
  if (hs_clone_scratch(prototype_.get(), &s) != HS_SUCCESS) {
    return absl::ResourceExhaustedError("could not allocate Hyperscan stream scratch");
  }
  return HsScratchPtr(s);
}

void StreamDatabases::ReleaseScratch(HsScratchPtr scratch) const {
  if (scratch == nullptr) return;
  for (std::atomic<hs_scratch_t*>& slot : slots_) {
    hs_scratch_t* expected = nullptr;
    if (slot.load(std::memory_order_relaxed) == nullptr &&
        slot.compare_exchange_strong(expected, scratch.get(), std::memory_order_release,
                                     std::memory_order_relaxed)) {
      scratch.release();
      return;
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (scratch_pool_.size() < 256) scratch_pool_.push_back(std::move(scratch));
}

MatchStream::~MatchStream() {
  // Closing with a null scratch reports nothing and only frees the stream.
  if (literals_ != nullptr) hs_close_stream(literals_, nullptr, nullptr, nullptr);
  if (regexes_ != nullptr) hs_close_stream(regexes_, nullptr, nullptr, nullptr);
}

absl::Status MatchStream::Open(const StreamDatabases* dbs) {
  if (dbs_ == dbs) return absl::OkStatus();
  if (dbs_ != nullptr) return absl::InternalError("a match stream cannot change databases");
  dbs_ = dbs;
  if (dbs->literals_ != nullptr &&
      hs_open_stream(dbs->literals_.get(), 0, &literals_) != HS_SUCCESS) {
    return absl::ResourceExhaustedError("could not open a Hyperscan stream");
  }
  if (dbs->regexes_ != nullptr &&
      hs_open_stream(dbs->regexes_.get(), 0, &regexes_) != HS_SUCCESS) {
    return absl::ResourceExhaustedError("could not open a Hyperscan stream");
  }
  return absl::OkStatus();
}

absl::Status MatchStream::Scan(std::string_view folded, hs_scratch_t* scratch,
                               std::vector<StreamCandidate>* out) {
  if (folded.empty()) return absl::OkStatus();
  const unsigned length = static_cast<unsigned>(folded.size());
  ScanContext lit{&dbs_->literal_patterns_, true, out};
  ScanContext re{&dbs_->regex_patterns_, false, out};
  if (literals_ != nullptr &&
      hs_scan_stream(literals_, folded.data(), length, 0, scratch, OnMatch,
                     &lit) != HS_SUCCESS) {
    return absl::InternalError("Hyperscan stream scan failed");
  }
  if (regexes_ != nullptr &&
      hs_scan_stream(regexes_, folded.data(), length, 0, scratch, OnMatch,
                     &re) != HS_SUCCESS) {
    return absl::InternalError("Hyperscan stream scan failed");
  }
  return absl::OkStatus();
}

absl::Status MatchStream::Finish(hs_scratch_t* scratch, std::vector<StreamCandidate>* out) {
  ScanContext lit{&dbs_->literal_patterns_, true, out};
  ScanContext re{&dbs_->regex_patterns_, false, out};
  if (literals_ != nullptr &&
      hs_reset_stream(literals_, 0, scratch, OnMatch, &lit) != HS_SUCCESS) {
    return absl::InternalError("Hyperscan stream reset failed");
  }
  if (regexes_ != nullptr &&
      hs_reset_stream(regexes_, 0, scratch, OnMatch, &re) != HS_SUCCESS) {
    return absl::InternalError("Hyperscan stream reset failed");
  }
  return absl::OkStatus();
}

absl::Status MatchStream::Reset(hs_scratch_t* scratch) {
  for (hs_stream_t* s : {literals_, regexes_}) {
    if (s != nullptr && hs_reset_stream(s, 0, scratch, nullptr, nullptr) != HS_SUCCESS) {
      return absl::InternalError("Hyperscan stream reset failed");
    }
  }
  return absl::OkStatus();
}

absl::Status MatchStream::CopyFrom(const MatchStream& other, hs_scratch_t* scratch) {
  if (dbs_ != other.dbs_) return absl::InternalError("match streams of different databases");
  if (literals_ != nullptr &&
      hs_reset_and_copy_stream(literals_, other.literals_, scratch, nullptr, nullptr) !=
          HS_SUCCESS) {
    return absl::InternalError("Hyperscan stream copy failed");
  }
  if (regexes_ != nullptr &&
      hs_reset_and_copy_stream(regexes_, other.regexes_, scratch, nullptr, nullptr) !=
          HS_SUCCESS) {
    return absl::InternalError("Hyperscan stream copy failed");
  }
  return absl::OkStatus();
}

}  // namespace menshen::internal
