// The public face of lib/pack: BuildPack and Pack.
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/base/text_proto.h"
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

absl::StatusOr<std::shared_ptr<const Pack>> LoadEmbedded(std::string_view name) {
  absl::StatusOr<internal::PackSource> source = internal::EmbeddedPackSource(name);
  if (!source.ok()) return source.status();
  return LoadBuilt(Build(*source, PackBuildOptions{}), source->origin);
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
      "lexicon-konsheng", "lexicon-fwwdn", "lexicon-ldnoobw",  "lexicon-surge-ai"};
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
