// The public face of lib/pack: BuildPack and Pack.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include <hs/hs.h>
#include "lib/base/sha256.h"
#include "lib/base/text_proto.h"
#include "lib/normalize/normalizer.h"
#include "lib/pack/compiler.h"
#include "lib/pack/loader.h"
#include "lib/pack/mspack_file.h"
#include "lib/pack/source.h"
#include "lib/pack/taxonomy.h"
#include "menshen/pack.h"

namespace menshen {
namespace {

absl::StatusOr<PackBuildResult> Build(const internal::PackSource& source,
                                      const PackBuildOptions& options) {
  const internal::Taxonomy* taxonomy = &internal::Taxonomy::Embedded();
  absl::StatusOr<internal::Taxonomy> custom;
  if (!options.taxonomy_path.empty()) {
    absl::StatusOr<std::string> text = internal::ReadFile(options.taxonomy_path);
    if (!text.ok()) return text.status();
    custom = internal::Taxonomy::Parse(options.taxonomy_path, *text);
    if (!custom.ok()) return custom.status();
    taxonomy = &*custom;
  }
  internal::CompileOptions compile_options;
  compile_options.strict = options.strict;
  absl::StatusOr<internal::CompileOutput> compiled =
      internal::CompilePack(source, *taxonomy, compile_options);
  if (!compiled.ok()) return compiled.status();
  PackBuildResult result;
  // The artefact leaves the entries out: the loader derives them from the
  // embedded sources (pack.proto, entries_sha256).
  compiled->pack.clear_entries();
  result.mspack = internal::EncodeMspack(compiled->pack);
  result.warnings = std::move(compiled->warnings);
  return result;
}

// Decodes and restores artefact bytes; `notes` (compile warnings) go first.
absl::StatusOr<std::shared_ptr<const Pack>> Restore(std::string_view mspack, std::string_view name,
                                                    std::vector<std::string> notes) {
  absl::StatusOr<internal::DecodedMspack> decoded = internal::DecodeMspack(mspack, name);
  if (!decoded.ok()) return decoded.status();
  absl::StatusOr<std::unique_ptr<internal::LoadedPack>> loaded = internal::RestorePack(
      std::move(decoded->pack), std::move(decoded->payload_sha256_hex), name);
  if (!loaded.ok()) return loaded.status();
  notes.insert(notes.end(), (*loaded)->notes.begin(), (*loaded)->notes.end());
  (*loaded)->notes = std::move(notes);
  return std::make_shared<const Pack>(*std::move(loaded));
}

absl::StatusOr<std::shared_ptr<const Pack>> LoadBuilt(absl::StatusOr<PackBuildResult> built,
                                                      std::string_view name) {
  if (!built.ok()) return built.status();
  return Restore(built->mspack, name, std::move(built->warnings));
}

}  // namespace

absl::StatusOr<PackBuildResult> BuildPack(const std::string& dir, const PackBuildOptions& options) {
  absl::StatusOr<internal::PackSource> source = internal::ReadPackSourceDir(dir);
  if (!source.ok()) return source.status();
  return Build(*source, options);
}

Pack::Pack(std::unique_ptr<internal::LoadedPack> loaded) : loaded_(std::move(loaded)) {}
Pack::~Pack() = default;

const PackInfo& Pack::info() const { return loaded_->info; }
const std::vector<std::string>& Pack::notes() const { return loaded_->notes; }

absl::StatusOr<std::shared_ptr<const Pack>> Pack::FromBytes(std::string_view mspack,
                                                            std::string_view name) {
  return Restore(mspack, name, {});
}

absl::StatusOr<std::shared_ptr<const Pack>> Pack::Load(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return LoadBuilt(BuildPack(path), path);
  absl::StatusOr<std::string> bytes = internal::ReadFile(path);
  if (!bytes.ok()) return bytes.status();
  return FromBytes(*bytes, path);
}

namespace {

// Built embedded packs can be kept in a folder named by MENSHEN_PACK_CACHE
// (unset or empty: none; the CLI sets ~/.cache/menshen), so that a process
// starts without compiling Hyperscan databases: most of the start-up time
// with the default packs. A file is named by a digest of everything its bytes
// depend on (the pack's sources, the fold, Hyperscan, the .mspack format), is
// written whole under a temporary name and renamed, and is used only if it
// loads without a note (no rebuild for another CPU); anything else is built
// again and replaces it. Writing is best effort: a cache that cannot be
// written (read-only, full disk) only costs the compile.
std::string CacheFile(const internal::PackSource& source, std::string_view name) {
  const char* dir = std::getenv("MENSHEN_PACK_CACHE");
  if (dir == nullptr || *dir == '\0') return "";
  std::string key = absl::StrCat(std::string(name), "\n", std::string(internal::FoldVersion()), "\n",
                                 hs_version(), "\n", internal::kMspackFormatVersion, "\n");
  for (const auto& [path, content] : source.files) {
    absl::StrAppend(&key, path.size(), ":", path, content.size(), ":", content);
  }
  const std::string digest =
      absl::BytesToHexString(std::string(internal::DigestBytes(internal::Sha256Of(key)).substr(0, 16)));
  return (std::filesystem::path(dir) / absl::StrCat(std::string(name), "-", digest, ".mspack"))
      .string();
}

void WriteCacheFile(const std::string& path, std::string_view bytes) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  const std::string temporary = absl::StrCat(path, ".", getpid(), ".tmp");
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) {
      std::filesystem::remove(temporary, ec);
      return;
    }
  }
  std::filesystem::rename(temporary, path, ec);
  if (ec) std::filesystem::remove(temporary, ec);
}

absl::StatusOr<std::shared_ptr<const Pack>> LoadEmbedded(std::string_view name) {
  absl::StatusOr<internal::PackSource> source = internal::EmbeddedPackSource(name);
  if (!source.ok()) return source.status();
  const std::string cache = CacheFile(*source, name);
  if (!cache.empty()) {
    if (absl::StatusOr<std::string> bytes = internal::ReadFile(cache); bytes.ok()) {
      absl::StatusOr<std::shared_ptr<const Pack>> cached = Restore(*bytes, source->origin, {});
      if (cached.ok() && (*cached)->notes().empty()) return cached;
    }
  }
  absl::StatusOr<PackBuildResult> built = Build(*source, PackBuildOptions{});
  // Packs with compile warnings are not kept: their notes would be lost.
  if (!cache.empty() && built.ok() && built->warnings.empty()) WriteCacheFile(cache, built->mspack);
  return LoadBuilt(std::move(built), source->origin);
}

}  // namespace

absl::StatusOr<std::shared_ptr<const Pack>> Pack::Starter() { return LoadEmbedded("starter"); }

absl::StatusOr<std::shared_ptr<const Pack>> Pack::Embedded(std::string_view name) {
  return LoadEmbedded(name);
}

std::vector<std::string> Pack::EmbeddedPackNames() { return internal::EmbeddedPackNames(); }

const std::vector<std::string>& Pack::DefaultPackNames() {
  // The imported packs (lexicon-*) are defaults: filtered on benign text they
  // stay under the benign limits (keyword_packs/README.md) and bring the
  // library to the standard's 10,000 keywords.
  static const auto* const kNames = new std::vector<std::string>{
      "risk-a1",          "risk-a2",       "risk-a3",          "risk-a4",
      "risk-a5",          "pii-zh",        "secrets",          "prompt-injection",
      "abuse-zh",         "abuse-en",      "intent-zh",        "intent-en",
      "lexicon-konsheng", "lexicon-fwwdn", "lexicon-ldnoobw",  "lexicon-surge-ai",
      // Context words (X5), not risks: the default policy lists them as
      // context (docs/packs.md, "Context").
      "context"};
  return *kNames;
}

absl::StatusOr<std::vector<std::shared_ptr<const Pack>>> Pack::Defaults() {
  std::vector<std::shared_ptr<const Pack>> packs;
  for (const std::string& name : DefaultPackNames()) {
    absl::StatusOr<std::shared_ptr<const Pack>> pack = LoadEmbedded(name);
    if (!pack.ok()) return pack.status();
    packs.push_back(*std::move(pack));
  }
  return packs;
}

}  // namespace menshen
