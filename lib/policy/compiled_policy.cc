#include "lib/policy/compiled_policy.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "lib/base/absl_view.h"
#include "lib/base/text_proto.h"
#include "lib/base/utf8.h"
#include "lib/policy/mask.h"
#include "lib/policy/utf8_scan.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace menshen::internal {
namespace {

using google::protobuf::FieldDescriptor;
using ParseInfoTree = google::protobuf::TextFormat::ParseInfoTree;

// Locales with refusal templates, by index.
constexpr int kZh = 0;
constexpr int kEn = 1;
constexpr int kLocales = 2;
constexpr std::string_view kLocaleNames[kLocales] = {"zh-CN", "en"};

constexpr std::string_view kCategoryPlaceholder = "{category}";

// What {category} reads in the refusal of a stream cut by a limit, which no
// one category decided.
constexpr std::string_view kLimitCategoryName[kLocales] = {"未能完成检查的内容",
                                                           "content that could not be checked"};

// Only for a hit whose category the policy's taxonomy lacks when the policy
// has no "*" template (validation guarantees templates for known categories).
constexpr std::string_view kLastResortRefusal[kLocales] = {
    "抱歉，这个请求涉及不适宜的内容，我无法提供帮助。",
    "Sorry, I can't help with this request.",
};


// Lines of the parsed file, for errors. Lines are 1-based; 0 means unknown
// (the field was not written), and Or() picks the enclosing element's line.
const FieldDescriptor* Field(const google::protobuf::Descriptor* d, const char* name) {
  return d->FindFieldByName(name);
}

int LineOf(const ParseInfoTree* tree, const FieldDescriptor* field, int index = -1) {
  if (tree == nullptr || field == nullptr) return 0;
  const int line = tree->GetLocation(field, index).line;
  return line < 0 ? 0 : line + 1;
}

const ParseInfoTree* Nested(const ParseInfoTree* tree, const FieldDescriptor* field,
                            int index = -1) {
  return tree == nullptr ? nullptr : tree->GetTreeForNested(field, index);
}

int Or(int line, int fallback) { return line > 0 ? line : fallback; }

Action ToAction(policy::Action action) {
  switch (action) {
    case policy::ALLOW: return Action::kAllow;
    case policy::MASK: return Action::kMask;
    case policy::REFUSE: return Action::kRefuse;
    case policy::BLOCK: return Action::kBlock;
    default: return Action::kFlag;  // FLAG, and ACTION_UNSPECIFIED for a profile default
  }
}

bool NeedsRefusal(Action action) { return action == Action::kRefuse || action == Action::kBlock; }

// Branch-free range tests: the script count runs over every code point.
bool IsHan(char32_t cp) {
  return (cp - 0x4E00u < 0x5200u) | (cp - 0x3400u < 0x19C0u) | (cp - 0xF900u < 0x200u) |
         (cp - 0x20000u < 0x11350u);
}

// Latin letters beyond ASCII: Latin-1 letters, Latin Extended-A/B, Latin
// Extended Additional, full-width A-Z and a-z.
bool IsNonAsciiLatinLetter(char32_t cp) {
  return ((cp - 0xC0u < 0x190u) & (cp != 0xD7) & (cp != 0xF7)) | (cp - 0x1E00u < 0x100u) |
         (cp - 0xFF21u < 26u) | (cp - 0xFF41u < 26u);
}

}  // namespace

// Counts position by position rather than sequence by sequence: an ASCII
// letter; a lead byte E4..E9 (not E4 B7) with two continuation bytes after
// it (a Han character of U+4000..U+9FFF but U+4DC0..U+4DFF, most of Chinese
// text); any other lead byte that starts a valid sequence. That is the same
// count, because a valid sequence holds only continuation bytes after its
// lead and an invalid one counts nothing either way; and it lets sixteen
// positions be classified at once, with per-byte counters summed every 255
// rounds, and only the rare other lead bytes decoded one by one.
void CountScripts(std::string_view text, ScriptCounts* counts) {
  size_t han = 0;
  size_t latin = 0;
  auto count_sequence = [&](size_t i) {
    char32_t cp;
    if (DecodeUtf8(text, i, &cp) != 0) {
      han += IsHan(cp) ? 1 : 0;
      latin += IsNonAsciiLatinLetter(cp) ? 1 : 0;
    }
  };
  size_t i = 0;
#if defined(__SSE2__)
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  auto load = [p](size_t at) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + at));
  };
  auto bytes = [](int b) { return _mm_set1_epi8(static_cast<char>(b)); };
  // Per-byte counters (a match subtracts -1), summed before they can wrap.
  const __m128i zero = _mm_setzero_si128();
  __m128i han_counts = zero;
  __m128i latin_counts = zero;
  auto flush = [&] {
    const __m128i h = _mm_sad_epu8(han_counts, zero);
    const __m128i l = _mm_sad_epu8(latin_counts, zero);
    han += static_cast<size_t>(_mm_cvtsi128_si32(h)) +
           static_cast<size_t>(_mm_cvtsi128_si32(_mm_unpackhi_epi64(h, h)));
    latin += static_cast<size_t>(_mm_cvtsi128_si32(l)) +
             static_cast<size_t>(_mm_cvtsi128_si32(_mm_unpackhi_epi64(l, l)));
    han_counts = latin_counts = zero;
  };
  // Signed byte compares: 0x80..0xBF are -128..-65, 0xE5..0xE9 are -27..-23.
  for (int rounds = 0; i + 18 <= text.size(); i += 16) {
    const __m128i v = load(i);
    const __m128i lower = _mm_or_si128(v, bytes(0x20));
    const __m128i letters =
        _mm_and_si128(_mm_cmpgt_epi8(lower, bytes('a' - 1)), _mm_cmplt_epi8(lower, bytes('z' + 1)));
    const int continuation = _mm_movemask_epi8(_mm_cmplt_epi8(v, bytes(0xC0)));
    const int leads = _mm_movemask_epi8(v) & ~continuation;
    const __m128i second = load(i + 1);
    // E5..E9, or E4 but for U+4DC0..U+4DFF (E4 B7 xx, the Yijing hexagrams).
    const __m128i han_lead = _mm_or_si128(
        _mm_and_si128(_mm_cmpgt_epi8(v, bytes(0xE4)), _mm_cmplt_epi8(v, bytes(0xEA))),
        _mm_andnot_si128(_mm_cmpeq_epi8(second, bytes(0xB7)), _mm_cmpeq_epi8(v, bytes(0xE4))));
    const __m128i third = load(i + 2);
    const __m128i followed = _mm_and_si128(_mm_cmplt_epi8(second, bytes(0xC0)),
                                           _mm_cmplt_epi8(third, bytes(0xC0)));
    const __m128i plain_han = _mm_and_si128(han_lead, followed);
    // The punctuation of Chinese text counts as neither script: U+2000..2FFF
    // (E2), U+3000..33FF (E3 80..8F), U+FF00..FF7F (EF BC, EF BD) but for the
    // full-width letters (EF BC A1..BA, EF BD 81..9A).
    auto within = [&](__m128i x, int first, int last) {
      return _mm_and_si128(_mm_cmpgt_epi8(x, bytes(first - 1)), _mm_cmplt_epi8(x, bytes(last + 1)));
    };
    const __m128i fullwidth_letter = _mm_or_si128(
        _mm_and_si128(_mm_cmpeq_epi8(second, bytes(0xBC)), within(third, 0xA1, 0xBA)),
        _mm_and_si128(_mm_cmpeq_epi8(second, bytes(0xBD)), within(third, 0x81, 0x9A)));
    const __m128i fullwidth = _mm_andnot_si128(
        fullwidth_letter,
        _mm_and_si128(_mm_cmpeq_epi8(v, bytes(0xEF)), within(second, 0xBC, 0xBD)));
    const __m128i neither = _mm_and_si128(
        followed,
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, bytes(0xE2)), fullwidth),
                     _mm_and_si128(_mm_cmpeq_epi8(v, bytes(0xE3)), _mm_cmplt_epi8(second, bytes(0x90)))));
    han_counts = _mm_sub_epi8(han_counts, plain_han);
    latin_counts = _mm_sub_epi8(latin_counts, letters);
    if (++rounds == 255) {
      flush();
      rounds = 0;
    }
    const int counted = _mm_movemask_epi8(_mm_or_si128(plain_han, neither));
    for (unsigned other = static_cast<unsigned>(leads & ~counted); other != 0;
         other &= other - 1) {
      count_sequence(i + static_cast<size_t>(__builtin_ctz(other)));
    }
  }
  flush();
#endif
  for (; i < text.size(); ++i) {
    const unsigned char b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      latin += (static_cast<unsigned>(b | 0x20) - 'a' < 26u) ? 1 : 0;
    } else if (b >= 0xC0) {
      if (b - 0xE5u < 5u && IsPlainThreeByteSequence(text, i)) {
        ++han;
      } else {
        count_sequence(i);
      }
    }
  }
  counts->han += han;
  counts->latin += latin;
}

std::string_view DominantLocale(const ScriptCounts& counts) {
  return counts.han > counts.latin ? "zh-CN" : "en";
}

namespace {

// zh-CN when the text (its first kScriptSampleBytes) has more Han characters
// than Latin letters, else en.
int DominantScriptLocale(std::string_view text) {
  // Counted a piece at a time, cut at character boundaries (which CountScripts
  // allows), stopping once the rest cannot change the outcome: it can add at
  // most one Latin letter per byte, or one Han character per three.
  text = text.substr(0, kScriptSampleBytes);
  constexpr size_t kPiece = 512;
  ScriptCounts counts;
  size_t at = 0;
  while (at < text.size()) {
    size_t cut = std::min(text.size(), at + kPiece);
    while (cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) ++cut;
    CountScripts(text.substr(at, cut - at), &counts);
    at = cut;
    const size_t rest = text.size() - at;
    if (counts.han > counts.latin + rest || counts.latin >= counts.han + rest / 3 + 1) break;
  }
  return counts.han > counts.latin ? kZh : kEn;
}

// A requested locale is matched on its language ("en-US" is en); anything
// but English gets zh-CN, as a missing template would.
int RequestedLocale(std::string_view locale) {
  const std::string_view language = locale.substr(0, locale.find_first_of("-_"));
  return absl::EqualsIgnoreCase(AV(language), "en") ? kEn : kZh;
}

// `tmpl` with every "{category}" replaced by `name`, into `out`.
void Render(std::string_view tmpl, std::string_view name, std::string* out) {
  out->clear();
  for (size_t pos = 0;;) {
    const size_t at = tmpl.find(kCategoryPlaceholder, pos);
    if (at == std::string_view::npos) {
      out->append(tmpl.data() + pos, tmpl.size() - pos);
      return;
    }
    out->append(tmpl.data() + pos, at - pos);
    out->append(name.data(), name.size());
    pos = at + kCategoryPlaceholder.size();
  }
}

// A category code of up to kMaxPackedCode bytes and its length in one word.
constexpr size_t kMaxPackedCode = 7;
uint64_t PackCode(std::string_view code) {
  uint64_t key = code.size();
  for (size_t k = 0; k < code.size(); ++k) {
    key |= uint64_t{static_cast<unsigned char>(code[k])} << (8 * (k + 1));
  }
  return key;
}

// The taxonomy as the policy uses it: categories by dense index.
struct CategoryInfo {
  std::string code;
  int class_index = 0;  // the category itself for a class
  std::string name[kLocales];
};

struct RuleState {
  std::string name;
  std::string id;  // "<profile>/<name>"
  int line = 0;
  policy::Direction direction = policy::ANY_DIRECTION;
  bool all_categories = true;
  std::vector<uint8_t> matches;  // by category index, when !all_categories
  int min_severity = 1;
  int64_t min_score = 0;
  int min_hits = 1;
  Action action = Action::kFlag;
  policy::HitKind hits = policy::ANY_HIT;

  bool Matches(int category) const {
    return all_categories || (category >= 0 && matches[static_cast<size_t>(category)] != 0);
  }
  bool Counts(bool rule_hit) const {
    return hits == policy::ANY_HIT || (hits == policy::RULE_HITS) == rule_hit;
  }
};

struct ProfileState {
  std::string name;
  std::vector<RuleState> rules;
  Action default_action = Action::kFlag;
  std::string default_id;  // "<profile>/default"
  std::string no_hits_id;  // "<profile>/no-hits"
  std::string stream_limit_id;  // "<profile>/stream-limit"
  // For streams, which rules a hit counts for, as a bit mask over the rules
  // (profiles of at most 64 rules): by RuleMaskIndex. Empty: test each rule.
  std::vector<uint64_t> rule_masks;
  // The rules that count term hits and those that count rule hits.
  uint64_t term_rules = 0;
  uint64_t rule_rules = 0;
  size_t n_categories = 0;
  size_t RuleMaskIndex(Direction direction, int category, int severity) const {
    return ((direction == Direction::kOutput ? n_categories + 1 : 0) +
            static_cast<size_t>(category + 1)) * 5 + static_cast<size_t>(severity);
  }
};

// Whether `earlier` fires whenever `later` does (so `later` never decides).
bool Preempts(const RuleState& earlier, const RuleState& later) {
  if (earlier.direction != policy::ANY_DIRECTION && earlier.direction != later.direction) {
    return false;
  }
  if (earlier.hits != policy::ANY_HIT && earlier.hits != later.hits) return false;
  if (earlier.min_severity > later.min_severity || earlier.min_score > later.min_score ||
      earlier.min_hits > later.min_hits) {
    return false;
  }
  if (earlier.all_categories) return true;
  if (later.all_categories) return false;  // `later` also matches codes outside the taxonomy
  for (size_t c = 0; c < later.matches.size(); ++c) {
    if (later.matches[c] && !earlier.matches[c]) return false;
  }
  return true;
}

}  // namespace

struct CompiledPolicy::State {
  policy::Policy proto;
  std::vector<CategoryInfo> categories;
  absl::flat_hash_map<std::string, int> category_index;
  // The same for codes of up to 7 bytes (all of a normal taxonomy's), keyed
  // by PackCode: the per-hit lookup hashes one word instead of a string.
  absl::flat_hash_map<uint64_t, int> short_codes;
  // Refusal template (index into proto.refusal) by locale and category
  // index; the extra last slot is "*". -1: none written.
  std::vector<int> templates[kLocales];
  // The refusal for each category, resolved and rendered, by locale.
  std::vector<std::string> refusals[kLocales];
  std::vector<ProfileState> profiles;
  size_t default_profile = 0;
  // The AI-generated label (text, position) by locale.
  std::string labels[kLocales];
  LabelPosition label_positions[kLocales] = {LabelPosition::kNone, LabelPosition::kNone};
  Action stream_limit_action = Action::kBlock;
  // The refusal of a stream cut by a limit: the "*" template, by locale.
  std::string limit_refusals[kLocales];

  int FindCategory(std::string_view code) const {
    if (code.size() <= kMaxPackedCode) {
      auto it = short_codes.find(PackCode(code));
      return it == short_codes.end() ? -1 : it->second;
    }
    auto it = category_index.find(AV(code));
    return it == category_index.end() ? -1 : it->second;
  }
  int StarSlot() const { return static_cast<int>(categories.size()); }

  // The template for `category` in `locale`: the category, its class, "*".
  int ResolveTemplate(int category, int locale) const {
    const std::vector<int>& t = templates[locale];
    if (category >= 0) {
      if (t[category] >= 0) return t[category];
      const int cls = categories[category].class_index;
      if (t[cls] >= 0) return t[cls];
    }
    return t[StarSlot()];
  }

  const ProfileState* FindProfile(std::string_view name) const {
    for (const ProfileState& p : profiles) {
      if (p.name == name) return &p;
    }
    return nullptr;
  }
};

CompiledPolicy::CompiledPolicy() : state_(std::make_unique<State>()) {}
CompiledPolicy::~CompiledPolicy() = default;

const policy::Policy& CompiledPolicy::proto() const { return state_->proto; }

bool CompiledPolicy::HasProfile(std::string_view name) const {
  return state_->FindProfile(name) != nullptr;
}

absl::StatusOr<std::unique_ptr<CompiledPolicy>> CompiledPolicy::Compile(std::string_view file_name,
                                                                        std::string_view text,
                                                                        const Taxonomy& taxonomy) {
  auto error = [file_name](int line, auto&&... what) {
    return absl::InvalidArgumentError(absl::StrCat(AV(file_name), ":", line, ": ", what...));
  };

  std::unique_ptr<CompiledPolicy> compiled(new CompiledPolicy());
  State& s = *compiled->state_;
  policy::Policy& p = s.proto;

  // Syntax.
  ParseInfoTree root;
  if (absl::Status syntax = ParseTextProto(file_name, text, &p, &root); !syntax.ok()) {
    return syntax;
  }
  const google::protobuf::Descriptor* policy_d = policy::Policy::descriptor();
  const google::protobuf::Descriptor* profile_d = policy::Profile::descriptor();
  const google::protobuf::Descriptor* rule_d = policy::Rule::descriptor();
  const google::protobuf::Descriptor* template_d = policy::RefusalTemplate::descriptor();
  const FieldDescriptor* profile_f = Field(policy_d, "profile");
  const FieldDescriptor* rule_f = Field(profile_d, "rule");
  const FieldDescriptor* refusal_f = Field(policy_d, "refusal");

  // The taxonomy, by dense index.
  for (const pack::Category& c : taxonomy.proto().category()) {
    s.category_index.emplace(c.code(), static_cast<int>(s.categories.size()));
    if (c.code().size() <= kMaxPackedCode) {
      s.short_codes.emplace(PackCode(c.code()), static_cast<int>(s.categories.size()));
    }
    CategoryInfo& info = s.categories.emplace_back();
    info.code = c.code();
    const std::string& en = c.name_en().empty() ? c.name_zh() : c.name_en();
    const std::string& zh = c.name_zh().empty() ? c.name_en() : c.name_zh();
    info.name[kZh] = zh.empty() ? c.code() : zh;
    info.name[kEn] = en.empty() ? c.code() : en;
  }
  for (int i = 0; i < taxonomy.proto().category_size(); ++i) {
    const pack::Category& c = taxonomy.proto().category(i);
    const int parent = c.parent().empty() ? -1 : s.FindCategory(c.parent());
    s.categories[i].class_index = parent >= 0 ? parent : i;
  }
  const int n_categories = static_cast<int>(s.categories.size());
  auto is_class = [&s](int c) { return s.categories[c].class_index == c; };
  // A category or class written as "A1.3", "A1" or "A1.*": its index, or an
  // error message.
  auto find_pattern = [&](std::string_view pattern, int* index) -> std::string {
    std::string_view code = pattern;
    const bool class_pattern = code.size() > 2 && code.substr(code.size() - 2) == ".*";
    if (class_pattern) code.remove_suffix(2);
    *index = s.FindCategory(code);
    if (*index < 0) {
      return absl::StrCat("unknown category '", AV(pattern), "' (not in taxonomy ",
                          taxonomy.proto().version(), ")");
    }
    if (class_pattern && !is_class(*index)) {
      return absl::StrCat("'", AV(pattern), "': ", AV(code), " is a risk, not a class");
    }
    return "";
  };

  // Version.
  if (p.version().empty()) {
    return error(Or(LineOf(&root, Field(policy_d, "version")), 1),
                 "the policy has no version; every decision and audit record reports it");
  }

  // Refusal templates.
  for (int l = 0; l < kLocales; ++l) s.templates[l].assign(n_categories + 1, -1);
  for (int i = 0; i < p.refusal_size(); ++i) {
    const policy::RefusalTemplate& t = p.refusal(i);
    const ParseInfoTree* tree = Nested(&root, refusal_f, i);
    const int line = Or(LineOf(&root, refusal_f, i), 1);
    int locale = -1;
    for (int l = 0; l < kLocales; ++l) {
      if (t.locale() == kLocaleNames[l]) locale = l;
    }
    if (locale < 0) {
      return error(Or(LineOf(tree, Field(template_d, "locale")), line), "refusal template locale '",
                   t.locale(), "' is not supported (use zh-CN or en)");
    }
    int slot = s.StarSlot();
    if (t.category() != "*") {
      if (std::string message = find_pattern(t.category(), &slot); !message.empty()) {
        return error(Or(LineOf(tree, Field(template_d, "category")), line),
                     "refusal template: ", message, "; use a category, a class or \"*\"");
      }
    }
    if (t.text().empty()) {
      return error(Or(LineOf(tree, Field(template_d, "text")), line), "refusal template for ",
                   t.category(), " in ", t.locale(), " has no text");
    }
    for (size_t at = t.text().find('{'); at != std::string::npos; at = t.text().find('{', at + 1)) {
      if (std::string_view(t.text()).substr(at, kCategoryPlaceholder.size()) !=
          kCategoryPlaceholder) {
        return error(Or(LineOf(tree, Field(template_d, "text")), line),
                     "refusal template text has an unknown placeholder; only {category} is "
                     "replaced");
      }
    }
    int& existing = s.templates[locale][slot];
    if (existing >= 0) {
      return error(line, "a second refusal template for ", t.category(), " in ", t.locale(),
                   " (the first is at line ", LineOf(&root, refusal_f, existing), ")");
    }
    existing = i;
  }

  // Masking and label.
  {
    const std::string& c = p.masking().character();
    char32_t cp;
    if (!c.empty() && DecodeUtf8(c, 0, &cp) != c.size()) {
      const ParseInfoTree* tree = Nested(&root, Field(policy_d, "masking"));
      return error(Or(LineOf(tree, Field(policy::Masking::descriptor(), "character")),
                      Or(LineOf(&root, Field(policy_d, "masking")), 1)),
                   "the masking character '", c, "' must be exactly one character (code point)");
    }
  }
  {
    // Labels by locale; one without a locale fills the locales left.
    int slot_of[kLocales + 1];
    std::fill(std::begin(slot_of), std::end(slot_of), -1);
    for (int i = 0; i < p.label_size(); ++i) {
      const policy::Label& label = p.label(i);
      const int line = Or(LineOf(&root, Field(policy_d, "label"), i), 1);
      int locale = kLocales;  // no locale
      if (!label.locale().empty()) {
        locale = -1;
        for (int l = 0; l < kLocales; ++l) {
          if (label.locale() == kLocaleNames[l]) locale = l;
        }
        if (locale < 0) {
          return error(line, "label locale '", label.locale(),
                       "' is not supported (use zh-CN or en)");
        }
      }
      if (slot_of[locale] >= 0) {
        return error(line, "a second label for ",
                     AV(locale == kLocales ? std::string_view("no locale") : kLocaleNames[locale]),
                     " (one label per locale)");
      }
      slot_of[locale] = i;
      if (label.position() != policy::Label::NONE && label.text().empty()) {
        return error(line, "the label has a position but no text");
      }
    }
    for (int l = 0; l < kLocales; ++l) {
      const int i = slot_of[l] >= 0 ? slot_of[l] : slot_of[kLocales];
      if (i < 0 || p.label(i).position() == policy::Label::NONE) continue;
      s.labels[l] = p.label(i).text();
      s.label_positions[l] = p.label(i).position() == policy::Label::START
                                 ? LabelPosition::kStart
                                 : LabelPosition::kEnd;
    }
  }

  // The first category and locale a rule (or profile default) can refuse on
  // with no template; false when every one has one.
  auto missing_template = [&](const RuleState& r, int* category, int* locale) {
    for (int c = 0; c < n_categories; ++c) {
      if (!r.Matches(c)) continue;
      for (int l = 0; l < kLocales; ++l) {
        if (s.ResolveTemplate(c, l) < 0) {
          *category = c;
          *locale = l;
          return true;
        }
      }
    }
    return false;
  };
  auto missing_template_message = [&](int c, int l) {
    const CategoryInfo& info = s.categories[c];
    std::string tried = info.code;
    if (info.class_index != c) absl::StrAppend(&tried, ", ", s.categories[info.class_index].code);
    return absl::StrCat("category ", info.code, " has no refusal template in locale ",
                        AV(kLocaleNames[l]), " (looked for ", tried, ", *)");
  };

  // Profiles and rules.
  for (int pi = 0; pi < p.profile_size(); ++pi) {
    const policy::Profile& pp = p.profile(pi);
    const ParseInfoTree* ptree = Nested(&root, profile_f, pi);
    const int pline = Or(LineOf(&root, profile_f, pi), 1);
    if (pp.name().empty()) return error(pline, "a profile has no name");
    if (const ProfileState* first = s.FindProfile(pp.name()); first != nullptr) {
      return error(pline, "a second profile named '", pp.name(), "' (the first is at line ",
                   LineOf(&root, profile_f, static_cast<int>(first - s.profiles.data())), ")");
    }
    ProfileState& prof = s.profiles.emplace_back();
    prof.name = pp.name();
    prof.default_id = absl::StrCat(pp.name(), "/default");
    prof.no_hits_id = absl::StrCat(pp.name(), "/no-hits");
    prof.stream_limit_id = absl::StrCat(pp.name(), "/stream-limit");
    if (!policy::Action_IsValid(pp.default_action())) {
      return error(Or(LineOf(ptree, Field(profile_d, "default_action")), pline), "profile '",
                   pp.name(), "' has an unknown default_action ",
                   static_cast<int>(pp.default_action()));
    }
    prof.default_action = ToAction(pp.default_action());

    for (int ri = 0; ri < pp.rule_size(); ++ri) {
      const policy::Rule& pr = pp.rule(ri);
      const ParseInfoTree* rtree = Nested(ptree, rule_f, ri);
      const int rline = Or(LineOf(ptree, rule_f, ri), pline);
      auto field_line = [&](const char* name, int index = -1) {
        return Or(LineOf(rtree, Field(rule_d, name), index), rline);
      };
      if (pr.name().empty()) {
        return error(rline, "a rule of profile '", pp.name(), "' has no name");
      }
      if (pr.name() == "default" || pr.name() == "no-hits" || pr.name() == "stream-limit") {
        return error(field_line("name"), "rule name '", pr.name(),
                     "' is reserved: decisions name '", pp.name(), "/", pr.name(),
                     "' when no rule fires");
      }
      for (const RuleState& earlier : prof.rules) {
        if (earlier.name == pr.name()) {
          return error(rline, "a second rule named '", pr.name(), "' in profile '", pp.name(),
                       "' (the first is at line ", earlier.line, ")");
        }
      }
      RuleState r;
      r.name = pr.name();
      r.id = absl::StrCat(pp.name(), "/", pr.name());
      r.line = rline;
      if (pr.action() == policy::ACTION_UNSPECIFIED) {
        return error(rline, "rule '", pr.name(), "' has no action");
      }
      if (!policy::Action_IsValid(pr.action())) {
        return error(field_line("action"), "rule '", pr.name(), "' has an unknown action ",
                     static_cast<int>(pr.action()));
      }
      r.action = ToAction(pr.action());
      if (!policy::Direction_IsValid(pr.direction())) {
        return error(field_line("direction"), "rule '", pr.name(), "' has an unknown direction ",
                     static_cast<int>(pr.direction()));
      }
      r.direction = pr.direction();
      if (pr.min_severity() < 0 || pr.min_severity() > 4) {
        return error(field_line("min_severity"), "rule '", pr.name(), "': min_severity ",
                     pr.min_severity(), " is outside 0..4");
      }
      r.min_severity = std::max(1, pr.min_severity());  // every hit has severity >= 1
      if (pr.min_score() < 0) {
        return error(field_line("min_score"), "rule '", pr.name(), "': min_score ", pr.min_score(),
                     " is negative");
      }
      r.min_score = pr.min_score();
      if (pr.min_hits() < 0) {
        return error(field_line("min_hits"), "rule '", pr.name(), "': min_hits ", pr.min_hits(),
                     " is negative");
      }
      r.min_hits = std::max(1, pr.min_hits());
      if (!policy::HitKind_IsValid(pr.hits())) {
        return error(field_line("hits"), "rule '", pr.name(), "' has an unknown hits kind ",
                     static_cast<int>(pr.hits()));
      }
      r.hits = pr.hits();
      r.all_categories = pr.categories().empty();
      if (!r.all_categories) r.matches.assign(n_categories, 0);
      for (int ci = 0; ci < pr.categories_size(); ++ci) {
        const std::string& pattern = pr.categories(ci);
        if (pattern == "*") {
          return error(field_line("categories", ci), "rule '", pr.name(),
                       "': \"*\" is not a category; leave categories empty to match every one");
        }
        int index;
        if (std::string message = find_pattern(pattern, &index); !message.empty()) {
          return error(field_line("categories", ci), "rule '", pr.name(), "': ", message);
        }
        for (int c = 0; c < n_categories; ++c) {
          if (c == index || (is_class(index) && s.categories[c].class_index == index)) {
            r.matches[c] = 1;
          }
        }
      }
      for (const RuleState& earlier : prof.rules) {
        if (Preempts(earlier, r)) {
          return error(rline, "rule '", pr.name(), "' is unreachable: rule '", earlier.name,
                       "' (line ", earlier.line, ") always fires first");
        }
      }
      if (NeedsRefusal(r.action)) {
        int c, l;
        if (missing_template(r, &c, &l)) {
          return error(rline, "rule '", pr.name(), "' can ",
                       r.action == Action::kBlock ? "BLOCK" : "REFUSE", " but ",
                       missing_template_message(c, l));
        }
      }
      prof.rules.push_back(std::move(r));
    }
    if (prof.rules.size() <= 64) {
      prof.n_categories = static_cast<size_t>(n_categories);
      prof.rule_masks.assign(2 * (prof.n_categories + 1) * 5, 0);
      for (size_t ri = 0; ri < prof.rules.size(); ++ri) {
        if (prof.rules[ri].Counts(false)) prof.term_rules |= uint64_t{1} << ri;
        if (prof.rules[ri].Counts(true)) prof.rule_rules |= uint64_t{1} << ri;
      }
      for (Direction d : {Direction::kInput, Direction::kOutput}) {
        const policy::Direction dir = d == Direction::kInput ? policy::INPUT : policy::OUTPUT;
        for (int c = -1; c < n_categories; ++c) {
          for (int severity = 0; severity <= 4; ++severity) {
            uint64_t mask = 0;
            for (size_t ri = 0; ri < prof.rules.size(); ++ri) {
              const RuleState& rule = prof.rules[ri];
              if ((rule.direction == policy::ANY_DIRECTION || rule.direction == dir) &&
                  severity >= rule.min_severity && rule.Matches(c)) {
                mask |= uint64_t{1} << ri;
              }
            }
            prof.rule_masks[prof.RuleMaskIndex(d, c, severity)] = mask;
          }
        }
      }
    }
    if (NeedsRefusal(prof.default_action)) {
      RuleState every;  // the default decides on any hit
      int c, l;
      if (missing_template(every, &c, &l)) {
        return error(Or(LineOf(ptree, Field(profile_d, "default_action")), pline), "profile '",
                     pp.name(), "' has default_action ",
                     prof.default_action == Action::kBlock ? "BLOCK" : "REFUSE", " but ",
                     missing_template_message(c, l));
      }
    }
  }

  // The default profile.
  if (p.default_profile().empty()) {
    return error(1,
                 "default_profile is not set; it names the profile used when a request names none");
  }
  const ProfileState* default_profile = s.FindProfile(p.default_profile());
  if (default_profile == nullptr) {
    return error(Or(LineOf(&root, Field(policy_d, "default_profile")), 1), "default_profile '",
                 p.default_profile(), "' names no profile of this policy");
  }
  s.default_profile = static_cast<size_t>(default_profile - s.profiles.data());

  // A stream that cannot go on fails closed.
  switch (p.stream_limit_action()) {
    case policy::ACTION_UNSPECIFIED:
    case policy::BLOCK:
      s.stream_limit_action = Action::kBlock;
      break;
    case policy::REFUSE:
      s.stream_limit_action = Action::kRefuse;
      break;
    default:
      return error(Or(LineOf(&root, Field(policy_d, "stream_limit_action")), 1),
                   "stream_limit_action must be REFUSE or BLOCK: a stream cut by a limit has not "
                   "been checked to its end, so it fails closed");
  }
  for (int l = 0; l < kLocales; ++l) {
    const int t = s.ResolveTemplate(-1, l);
    Render(t >= 0 ? std::string_view(p.refusal(t).text()) : kLastResortRefusal[l],
           kLimitCategoryName[l], &s.limit_refusals[l]);
  }

  // Every category's refusal, rendered once.
  for (int l = 0; l < kLocales; ++l) {
    s.refusals[l].resize(n_categories);
    for (int c = 0; c < n_categories; ++c) {
      const int t = s.ResolveTemplate(c, l);
      Render(t >= 0 ? std::string_view(p.refusal(t).text()) : kLastResortRefusal[l],
             s.categories[c].name[l], &s.refusals[l][c]);
    }
  }
  return compiled;
}

absl::Status CompiledPolicy::Decide(std::string_view text, Direction direction,
                                    std::string_view profile, std::string_view locale,
                                    Decision* decision) const {
  const State& s = *state_;
  const ProfileState* prof =
      profile.empty() ? &s.profiles[s.default_profile] : s.FindProfile(profile);
  if (prof == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("the policy has no profile '", AV(profile), "'"));
  }
  decision->profile.assign(prof->name);
  decision->policy_version = s.proto.version();
  const int label_locale = direction != Direction::kOutput ? kZh
                           : locale.empty()                ? DominantScriptLocale(text)
                                                           : RequestedLocale(locale);
  if (direction == Direction::kOutput &&
      s.label_positions[label_locale] != LabelPosition::kNone) {
    decision->label.assign(s.labels[label_locale]);
    decision->label_position = s.label_positions[label_locale];
  } else {
    decision->label.clear();
    decision->label_position = LabelPosition::kNone;
  }
  const std::vector<Hit>& hits = decision->hits;
  MaskSpans(text, hits, s.proto.masking(), &decision->masked);
  decision->refusal.clear();
  if (hits.empty()) {
    decision->action = Action::kAllow;
    decision->rule.assign(prof->no_hits_id);
    return absl::OkStatus();
  }

  // Which hit names the refusal: the most severe, then the earliest.
  auto better = [&hits](size_t a, size_t b) {
    return hits[a].severity > hits[b].severity ||
           (hits[a].severity == hits[b].severity && hits[a].start < hits[b].start);
  };
  absl::InlinedVector<int, 32> category(hits.size());
  // Hits of one text mostly share a few categories: look up each change only.
  std::string_view last_code;
  int last_index = -1;
  for (size_t i = 0; i < hits.size(); ++i) {
    if (i == 0 || hits[i].category != last_code) {
      last_code = hits[i].category;
      last_index = s.FindCategory(last_code);
    }
    category[i] = last_index;
  }

  const policy::Direction dir = direction == Direction::kInput ? policy::INPUT : policy::OUTPUT;
  const RuleState* fired = nullptr;
  size_t deciding = 0;
  for (const RuleState& r : prof->rules) {
    if (r.direction != policy::ANY_DIRECTION && r.direction != dir) continue;
    int count = 0;
    int64_t score = 0;
    size_t best = 0;
    for (size_t i = 0; i < hits.size(); ++i) {
      if (hits[i].severity < r.min_severity || !r.Matches(category[i]) || !r.Counts(hits[i].rule)) {
        continue;
      }
      if (count == 0 || better(i, best)) best = i;
      ++count;
      score += hits[i].severity;
    }
    if (count >= r.min_hits && score >= r.min_score) {
      fired = &r;
      deciding = best;
      break;
    }
  }
  if (fired != nullptr) {
    decision->action = fired->action;
    decision->rule.assign(fired->id);
  } else {
    decision->action = prof->default_action;
    decision->rule.assign(prof->default_id);
    for (size_t i = 1; i < hits.size(); ++i) {
      if (better(i, deciding)) deciding = i;
    }
  }
  if (NeedsRefusal(decision->action)) {
    const int l = locale.empty() ? DominantScriptLocale(text) : RequestedLocale(locale);
    const int c = category[deciding];
    if (c >= 0) {
      decision->refusal.assign(s.refusals[l][c]);
    } else {
      const int t = s.ResolveTemplate(-1, l);
      Render(t >= 0 ? std::string_view(s.proto.refusal(t).text()) : kLastResortRefusal[l],
             hits[deciding].category, &decision->refusal);
    }
  }
  return absl::OkStatus();
}


bool HitTally::Best::BeatenBy(const TallyHit& h) const {
  if (!set) return true;
  if (h.severity != hit.severity) return h.severity > hit.severity;
  if (h.start != hit.start) return h.start < hit.start;
  if (h.end != hit.end) return h.end < hit.end;
  return *h.entry_id < *hit.entry_id;
}

absl::Status CompiledPolicy::StartTally(Direction direction, std::string_view profile,
                                        HitTally* tally) const {
  const State& s = *state_;
  const ProfileState* prof =
      profile.empty() ? &s.profiles[s.default_profile] : s.FindProfile(profile);
  if (prof == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("the policy has no profile '", AV(profile), "'"));
  }
  tally->profile_ = prof;
  tally->direction_ = direction;
  tally->rules_.assign(prof->rules.size(), HitTally::RuleCount());
  tally->best_ = HitTally::Best();
  tally->hits_ = 0;
  return absl::OkStatus();
}

int CompiledPolicy::CategoryIndex(std::string_view code) const {
  return state_->FindCategory(code);
}

void CompiledPolicy::AddToTally(const TallyHit& hit, HitTally* tally) const {
  const auto* prof = static_cast<const ProfileState*>(tally->profile_);
  const policy::Direction dir =
      tally->direction_ == Direction::kInput ? policy::INPUT : policy::OUTPUT;
  ++tally->hits_;
  auto take = [&hit](HitTally::Best* best) {
    if (best->BeatenBy(hit)) {
      best->set = true;
      best->hit = hit;
    }
  };
  take(&tally->best_);
  auto count = [&](size_t r) {
    HitTally::RuleCount& c = tally->rules_[r];
    ++c.hits;
    c.score += hit.severity;
    take(&c.best);
  };
  if (!prof->rule_masks.empty() && hit.severity >= 0 && hit.severity <= 4 &&
      hit.category < static_cast<int>(prof->n_categories)) {
    for (uint64_t mask = prof->rule_masks[prof->RuleMaskIndex(tally->direction_, hit.category,
                                                              hit.severity)] &
                         (hit.rule ? prof->rule_rules : prof->term_rules);
         mask != 0; mask &= mask - 1) {
      count(static_cast<size_t>(__builtin_ctzll(mask)));
    }
    return;
  }
  for (size_t r = 0; r < prof->rules.size(); ++r) {
    const RuleState& rule = prof->rules[r];
    if (rule.direction != policy::ANY_DIRECTION && rule.direction != dir) continue;
    if (hit.severity < rule.min_severity || !rule.Matches(hit.category)) continue;
    if (!rule.Counts(hit.rule)) continue;
    count(r);
  }
}

void CompiledPolicy::DecideTally(const HitTally& tally, std::string_view locale,
                                 Decision* decision) const {
  const State& s = *state_;
  const auto* prof = static_cast<const ProfileState*>(tally.profile_);
  // A stream decides after every chunk that confirms a hit: strings that
  // already hold their value are left alone.
  auto set = [](std::string* field, const std::string& value) {
    if (*field != value) field->assign(value);
  };
  set(&decision->profile, prof->name);
  decision->policy_version = s.proto.version();
  // A stream has no text to look at before it ends: the requested locale.
  const int label_locale = RequestedLocale(locale);
  if (tally.direction_ == Direction::kOutput &&
      s.label_positions[label_locale] != LabelPosition::kNone) {
    set(&decision->label, s.labels[label_locale]);
    decision->label_position = s.label_positions[label_locale];
  } else {
    decision->label.clear();
    decision->label_position = LabelPosition::kNone;
  }
  if (tally.hits_ == 0) {
    decision->refusal.clear();
    decision->action = Action::kAllow;
    set(&decision->rule, prof->no_hits_id);
    return;
  }
  const TallyHit* deciding = &tally.best_.hit;
  const RuleState* fired = nullptr;
  for (size_t r = 0; r < prof->rules.size(); ++r) {
    const HitTally::RuleCount& count = tally.rules_[r];
    if (count.hits > 0 && count.hits >= prof->rules[r].min_hits &&
        count.score >= prof->rules[r].min_score) {
      fired = &prof->rules[r];
      deciding = &count.best.hit;
      break;
    }
  }
  if (fired != nullptr) {
    decision->action = fired->action;
    set(&decision->rule, fired->id);
  } else {
    decision->action = prof->default_action;
    set(&decision->rule, prof->default_id);
  }
  if (!NeedsRefusal(decision->action)) {
    decision->refusal.clear();
  } else {
    const int l = RequestedLocale(locale);
    if (deciding->category >= 0) {
      set(&decision->refusal, s.refusals[l][deciding->category]);
    } else {
      const int t = s.ResolveTemplate(-1, l);
      Render(t >= 0 ? std::string_view(s.proto.refusal(t).text()) : kLastResortRefusal[l],
             deciding->category_code, &decision->refusal);
    }
  }
}

void CompiledPolicy::DecideStreamLimit(const HitTally& tally, std::string_view locale,
                                       Decision* decision) const {
  DecideTally(tally, locale, decision);
  const State& s = *state_;
  const auto* prof = static_cast<const ProfileState*>(tally.profile_);
  decision->action = s.stream_limit_action;
  decision->rule.assign(prof->stream_limit_id);
  decision->refusal.assign(s.limit_refusals[RequestedLocale(locale)]);
}

}  // namespace menshen::internal
