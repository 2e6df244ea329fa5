#include "lib/pack/compiler.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/base/sha256.h"
#include "lib/base/text_proto.h"
#include "lib/normalize/normalizer.h"
#include "lib/pack/databases.h"
#include "lib/pack/rule_syntax.h"
#include "lib/pack/tsv.h"
#include "lib/pack/variants.h"

namespace menshen::internal {
namespace {

constexpr int kDefaultMinTermChars = 2;
constexpr size_t kIdHexDigits = 12;  // 48 bits: collisions are checked anyway

bool IsPackName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!absl::ascii_islower(static_cast<unsigned char>(c)) &&
        !absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '-') {
      return false;
    }
  }
  return true;
}

// Identifiers: [0-9A-Za-z-]+, numeric ones without leading zeros.
bool IsVersionPart(absl::string_view part, bool numeric) {
  if (part.empty()) return false;
  for (char c : part) {
    if (numeric ? !absl::ascii_isdigit(static_cast<unsigned char>(c))
                : !absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') {
      return false;
    }
  }
  return !numeric || part == "0" || part[0] != '0';
}

// Hash of the sources: every file as "path\0size\0content", in path order.
std::string SourceDigest(const PackSource& source) {
  Sha256 hash;
  for (const auto& [path, content] : source.files) {
    hash.Update(path);
    hash.Update(std::string_view("\0", 1));
    hash.Update(std::to_string(content.size()));
    hash.Update(std::string_view("\0", 1));
    hash.Update(content);
  }
  return std::string(DigestBytes(hash.Finish()));
}

constexpr uint32_t kPartFlags = pack::WORD | pack::EXACT;  // the flags a rule gives its parts

std::string EntryId(const std::string& pack_name, const pack::Entry& e) {
  std::string keyed;
  if (e.kind() == pack::RULE) {
    keyed = absl::StrCat("rule\x1f", e.term());  // the canonical text (FormatRule)
  } else if ((e.flags() & pack::PART) != 0) {
    keyed = absl::StrCat("part\x1f", e.flags() & kPartFlags, "\x1f", e.term());
  } else {
    keyed = absl::StrCat(e.kind() == pack::LITERAL ? "literal" : "regex", "\x1f", e.term());
  }
  return absl::StrCat(pack_name, ":", DigestToHex(Sha256Of(keyed)).substr(0, kIdHexDigits));
}

absl::Status CheckDefaults(const PackSource& source, std::string_view file,
                           const std::string& category, int severity, const std::string& flags,
                           const Taxonomy& taxonomy) {
  const std::string where = absl::StrCat(source.Describe(kManifestFile), ": file '",
                                         absl::string_view(file.data(), file.size()), "': ");
  if (!category.empty() && taxonomy.Find(category) == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(where, "unknown default_category '", category,
                                                   "' (see keyword_packs/taxonomy.textproto)"));
  }
  if (severity != 0 && (severity < 1 || severity > 4)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "default_severity ", severity, " is not 1 to 4"));
  }
  if (absl::StatusOr<uint32_t> bits = ParseFlags(flags); !bits.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(where, "default_flags: ", bits.status().message()));
  }
  return absl::OkStatus();
}

absl::Status CheckManifest(const PackSource& source, const pack::PackManifest& m) {
  const std::string where = source.Describe(kManifestFile);
  if (!IsPackName(m.name())) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": name '", m.name(), "' must be 1 to 64 characters of a-z, 0-9 and -"));
  }
  if (!IsSemanticVersion(m.version())) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": version '", m.version(), "' is not a semantic version (like 1.2.0)"));
  }
  if (m.term_files_size() + m.regex_files_size() + m.rule_files_size() == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": names no term_files, regex_files or rule_files"));
  }
  if (m.min_term_chars() < 0) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": min_term_chars must not be negative"));
  }
  for (const pack::Source& s : m.source()) {
    if (s.url().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": every source needs a url"));
    }
  }
  return absl::OkStatus();
}

// Folds literal terms, drops those that fold to nothing, and removes
// duplicates (the same folded literal or the same regex twice).
absl::Status FoldAndDeduplicate(const PackSource& source, const pack::PackManifest& manifest,
                                const CompileOptions& options, std::vector<pack::Entry>* entries,
                                std::vector<std::string>* warnings) {
  const int min_chars =
      manifest.min_term_chars() > 0 ? manifest.min_term_chars() : kDefaultMinTermChars;
  std::vector<pack::Entry> kept;
  absl::flat_hash_map<std::string, size_t> first_by_key;
  FoldedText scratch;
  for (pack::Entry& e : *entries) {
    auto where = [&] { return absl::StrCat(source.Describe(e.file()), ":", e.line(), ": "); };
    auto warn = [&](const std::string& what) -> absl::Status {
      if (options.strict) return absl::InvalidArgumentError(where() + what);
      warnings->push_back(where() + what);
      return absl::OkStatus();
    };
    if (e.kind() == pack::LITERAL) {
      // Every term is folded as text is, noise skipping included: `exact`
      // is enforced when a hit is resolved (no noise skipped inside it).
      FoldOptions text_only;
      text_only.offsets = false;
      Fold(e.term(), text_only, &scratch);
      e.set_folded(scratch.text);
      if ((e.flags() & pack::EXACT) != 0 &&
          FoldTerm(e.term(), FoldOptions{/*skip_noise=*/false}) != e.folded()) {
        if (absl::Status s = warn(absl::StrCat("exact term '", e.term(),
                                               "' has noise between Han characters, "
                                               "so it can never match exactly"));
            !s.ok()) {
          return s;
        }
      }
      if (e.folded().empty()) {
        if (absl::Status s = warn(absl::StrCat("term '", e.term(), "' folds to nothing; skipped"));
            !s.ok()) {
          return s;
        }
        continue;
      }
      const size_t chars = CountCodePoints(e.folded());
      if (chars < static_cast<size_t>(min_chars)) {
        if (absl::Status s = warn(absl::StrCat("term '", e.term(), "' folds to ", chars,
                                               " character(s), fewer than min_term_chars ",
                                               min_chars, "; short terms fire often"));
            !s.ok()) {
          return s;
        }
      }
    }
    // A stream holds back the longest possible match. (A regex that does not
    // compile is reported when the database is built.) Only regexes are asked:
    // hs_expression_info compiles its argument, and asking every literal too
    // took half the build time of a large pack.
    if (e.kind() == pack::REGEX) {
      absl::StatusOr<size_t> width = RegexMaxWidth(e.term());
      if (width.ok() && *width == kUnboundedWidth) {
        if (absl::Status s = warn(absl::StrCat(
                "regex '", e.term(),
                "' can match text of unbounded length, so streams refuse this pack; bound its "
                "repeats (e.g. {1,64} instead of + or *)"));
            !s.ok()) {
          return s;
        }
      }
    }
    std::string key = absl::StrCat(e.kind(), "\x1f",
                                   e.kind() == pack::LITERAL ? e.folded() : e.term());
    auto [it, inserted] = first_by_key.emplace(std::move(key), kept.size());
    if (inserted) {
      kept.push_back(std::move(e));
      continue;
    }
    const pack::Entry& first = kept[it->second];
    const std::string first_where = absl::StrCat(source.Describe(first.file()), ":", first.line());
    const bool first_allow = (first.flags() & pack::ALLOW) != 0;
    const bool this_allow = (e.flags() & pack::ALLOW) != 0;
    if (first.validator() != e.validator()) {
      return absl::InvalidArgumentError(absl::StrCat(where(), "'", e.term(), "' duplicates '",
                                                     first.term(), "' at ", first_where,
                                                     " with a different validator"));
    }
    if (first.category() != e.category() || first_allow != this_allow) {
      return absl::InvalidArgumentError(absl::StrCat(
          where(), "'", e.term(), "' duplicates '", first.term(), "' at ", first_where,
          " with a different ", first_allow != this_allow ? "allow flag" : "category", " (",
          first.category(), first_allow ? " allow" : "", " vs ", e.category(),
          this_allow ? " allow" : "", ")"));
    }
    if (absl::Status s = warn(absl::StrCat("'", e.term(), "' duplicates '", first.term(), "' at ",
                                           first_where, "; ignored"));
        !s.ok()) {
      return s;
    }
  }
  *entries = std::move(kept);
  return absl::OkStatus();
}

// Rules as parsed, by canonical text (their term), to fill in their steps
// once entries have their final indexes.
using RuleSyntaxes = absl::flat_hash_map<std::string, RuleSyntax>;

// Reads the rule files, in manifest order: group definitions ("@name = ...",
// visible to every later line of the pack) and rules, whose term becomes the
// canonical text (so that spacing does not change an id and duplicates are
// found) and whose expanded form goes to `syntaxes`.
absl::Status ReadRuleFiles(const PackSource& source, const pack::PackManifest& manifest,
                           const Taxonomy& taxonomy, std::vector<pack::Entry>* entries,
                           RuleSyntaxes* syntaxes) {
  RuleGroups groups;
  for (const pack::RuleFile& f : manifest.rule_files()) {
    if (absl::Status s = CheckDefaults(source, f.path(), f.default_category(),
                                       f.default_severity(), f.default_flags(), taxonomy);
        !s.ok()) {
      return s;
    }
    auto content = source.files.find(f.path());
    if (content == source.files.end()) {
      return absl::NotFoundError(absl::StrCat(source.Describe(f.path()), ": missing"));
    }
    std::vector<std::pair<uint32_t, std::string>> group_lines;
    absl::StatusOr<std::vector<pack::Entry>> parsed = ParseEntryFile(
        source.Describe(f.path()), f.path(), content->second, pack::RULE,
        TsvDefaults{f.default_category(), f.default_severity(), f.default_flags()}, taxonomy,
        /*warnings=*/nullptr, &group_lines);
    if (!parsed.ok()) return parsed.status();
    size_t g = 0;
    auto define_groups_before = [&](uint32_t line) -> absl::Status {
      for (; g < group_lines.size() && group_lines[g].first < line; ++g) {
        if (absl::Status s = DefineRuleGroup(group_lines[g].second, &groups); !s.ok()) {
          return absl::InvalidArgumentError(absl::StrCat(source.Describe(f.path()), ":",
                                                         group_lines[g].first, ": ", s.message()));
        }
      }
      return absl::OkStatus();
    };
    for (pack::Entry& e : *parsed) {
      if (absl::Status s = define_groups_before(e.line()); !s.ok()) return s;
      auto where = [&] { return absl::StrCat(source.Describe(e.file()), ":", e.line(), ": rule: "); };
      absl::StatusOr<RuleSyntax> rule = ParseRule(e.term());
      if (!rule.ok()) return absl::InvalidArgumentError(where() + std::string(rule.status().message()));
      absl::StatusOr<RuleSyntax> expanded = ExpandRuleGroups(*rule, groups);
      if (!expanded.ok()) {
        return absl::InvalidArgumentError(where() + std::string(expanded.status().message()));
      }
      e.set_term(FormatRule(*rule));
      syntaxes->emplace(e.term(), *std::move(expanded));
      entries->push_back(std::move(e));
    }
    if (absl::Status s = define_groups_before(UINT32_MAX); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// The key of a part: its flags and folded text.
std::string PartKey(uint32_t flags, const std::string& folded) {
  return absl::StrCat(flags & kPartFlags, "\x1f", folded);
}

// Adds a PART literal for every distinct alternative of the (kept) rules:
// shared between rules, keyed by folded text and word/exact flags. A part
// that folds to nothing is an error naming the rule's file and line.
absl::Status AddParts(const PackSource& source, const RuleSyntaxes& syntaxes,
                      std::vector<pack::Entry>* entries) {
  absl::flat_hash_map<std::string, size_t> parts;  // PartKey -> index in `added`
  std::vector<pack::Entry> added;
  for (const pack::Entry& rule : *entries) {
    if (rule.kind() != pack::RULE) continue;
    const RuleSyntax& syntax = syntaxes.at(rule.term());
    const uint32_t flags = pack::PART | (rule.flags() & kPartFlags);
    for (const RuleSyntax::Step& step : syntax.steps) {
      for (const std::string& alternative : step.alternatives) {
        std::string folded = FoldTerm(alternative);
        if (folded.empty()) {
          return absl::InvalidArgumentError(
              absl::StrCat(source.Describe(rule.file()), ":", rule.line(), ": rule part '",
                           alternative, "' folds to nothing"));
        }
        auto [it, inserted] = parts.emplace(PartKey(flags, folded), added.size());
        if (!inserted) continue;
        pack::Entry& part = added.emplace_back();
        part.set_kind(pack::LITERAL);
        part.set_term(alternative);
        part.set_folded(std::move(folded));
        part.set_flags(flags);
        part.set_severity(0);  // parts are never hits: no category or severity
        part.set_file(rule.file());
        part.set_line(rule.line());
      }
    }
  }
  for (pack::Entry& p : added) entries->push_back(std::move(p));
  return absl::OkStatus();
}

// Words so common in text, and in prompts, that a rule must not be anchored
// on them (folded forms). Written from general knowledge of Chinese and
// English word frequency; a word missing here is judged by its length.
constexpr std::string_view kCommonWords[] = {
    "我们", "你们", "他们", "她们", "什么", "怎么", "如何", "怎样", "怎么样", "没有", "知道",
    "可以", "一个", "这个", "那个", "就是", "都是", "不是", "还是", "但是", "因为", "所以",
    "如果", "自己", "现在", "时候", "已经", "觉得", "认为", "中国", "国人", "中国人", "问题",
    "方法", "办法", "帮我", "我想", "我要", "告诉我", "请问", "给我", "需要", "想要", "能不能",
    "可不可以", "一下", "一些", "这样", "那样", "为什么", "喜欢", "东西", "工作", "生活", "朋友",
    "孩子", "别人", "大家", "女人", "男人", "女生", "男生", "女性", "男性", "老人", "社会", "国家",
    "真的", "非常", "特别", "应该", "一定", "可能", "文章", "一篇", "一段", "视频", "图片", "信息",
    "the", "and", "you", "are", "for", "that", "this", "with", "have", "not", "but", "what",
    "all", "can", "how", "was", "they", "them", "their", "there", "from", "your", "about",
    "would", "could", "should", "will", "just", "like", "people", "some", "more", "when",
    "make", "get", "give", "tell", "want", "need", "know", "help", "use", "good", "best", "way",
    "how to", "how do i", "how can i", "can you", "could you", "help me", "give me", "tell me",
    "i want", "i need", "write", "make up", "list", "provide", "where", "who", "which", "him",
    "her", "his", "she", "men", "women", "man", "woman", "person", "someone", "post", "story",
    "article", "text", "message", "free", "online", "link", "see", "find", "work", "take",
    // Words of manuals, documentation and everyday prose (issue 22: anchors
    // on them made benign technical text look for rule parts everywhere).
    "文件", "使用", "用户", "所有", "数据", "时间", "格式", "描述", "名字", "名称", "控制", "允许",
    "地址", "代码", "密码", "安装", "出现", "删除", "打开", "查询", "访问", "脚本", "邮件", "你的",
    "的话", "原始", "查看", "查找", "搜索", "结果", "系统", "程序", "内容", "设置", "选项", "命令",
    "输入", "输出", "显示", "位置", "退出", "运行", "默认", "目录", "网络", "服务", "管理", "消息",
    "通知", "资料", "登录", "账号", "软件", "工具", "应用", "技术", "记录", "获取", "提供", "发现",
    "发生", "要求", "同意", "授权", "生成", "模板", "客户", "学生", "员工", "信息", "手机", "电话",
    "号码", "文档", "说明", "方式", "功能", "版本", "参数", "选择", "修改", "创建", "检查", "支持",
    "file", "files", "user", "users", "data", "time", "name", "control", "access", "address",
    "code", "password", "install", "open", "delete", "search", "result", "system", "program",
    "content", "option", "command", "input", "output", "display", "default", "network", "service",
    "email", "account", "software", "tool", "record", "provide", "script", "allow", "number",
    "phone", "information", "info", "version", "create", "check", "support", "run", "set", "read",
};

// How likely a part is to occur in text, roughly: every Han character (or
// three other characters) makes a term some thirty times rarer, so single
// characters and common short words, which occur everywhere, make poor
// anchors.
double PartWeight(const std::string& folded) {
  for (std::string_view common : kCommonWords) {
    if (folded == common) return 900.0;
  }
  double units = 0;
  for (char ch : folded) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      units += (c == ' ') ? 0.1 : 1.0 / 3;
    } else if ((c & 0xC0) != 0x80) {
      units += 1;
    }
  }
  // One character, or a word of two letters, occurs in almost every text.
  return units < 1.0 || (units == 1.0 && (static_cast<unsigned char>(folded[0]) & 0x80) != 0)
             ? 900.0
             : std::pow(30.0, 2.0 - units);
}

// Marks the positive step least likely to occur as the rule's anchor: its
// parts go to the literal database, and the rule's other parts need to be
// looked for only around an occurrence of it. A part's weight is its
// likelihood times the number of rules that use it: the parts that many rules
// share are the generic steps (request forms such as "how to", "where to
// buy", groups used by hundreds of rules), the parts few rules use are the
// specific ones (the harmful objects), and an anchor on a shared part would
// make every rule that shares it look for its other parts.
void MarkAnchor(const pack::CompiledPack& compiled,
                const absl::flat_hash_map<uint32_t, uint32_t>& uses, pack::Entry* rule) {
  int anchor = -1;
  double best = 0;
  for (int s = 0; s < rule->steps_size(); ++s) {
    const pack::RuleStep& step = rule->steps(s);
    if (step.negated()) continue;
    double w = 0;
    for (uint32_t a : step.alternatives()) {
      auto it = uses.find(a);
      w += PartWeight(compiled.entries(static_cast<int>(a)).folded()) *
           (it == uses.end() ? 1 : it->second);
    }
    if (anchor < 0 || w < best) {
      anchor = s;
      best = w;
    }
  }
  if (anchor >= 0) rule->mutable_steps(anchor)->set_anchor(true);
}

// Fills in the steps of every rule with the final indexes of its parts.
void LinkRules(const RuleSyntaxes& syntaxes, pack::CompiledPack* compiled) {
  absl::flat_hash_map<std::string, uint32_t> part_index;
  for (int i = 0; i < compiled->entries_size(); ++i) {
    const pack::Entry& e = compiled->entries(i);
    if ((e.flags() & pack::PART) != 0) {
      part_index.emplace(PartKey(e.flags(), e.folded()), static_cast<uint32_t>(i));
    }
  }
  for (pack::Entry& rule : *compiled->mutable_entries()) {
    if (rule.kind() != pack::RULE) continue;
    const RuleSyntax& syntax = syntaxes.at(rule.term());
    const uint32_t flags = pack::PART | (rule.flags() & kPartFlags);
    for (const RuleSyntax::Step& step : syntax.steps) {
      pack::RuleStep* out = rule.add_steps();
      out->set_negated(step.negated);
      if (!step.negated) {
        out->set_link(step.link);
        out->set_max_gap(step.link == pack::RuleStep::AND ? 0 : step.max_gap);
      }
      std::vector<uint32_t> indexes;
      for (const std::string& alternative : step.alternatives) {
        indexes.push_back(part_index.at(PartKey(flags, FoldTerm(alternative))));
      }
      // Two spellings of one part (賣/卖) are one alternative.
      std::sort(indexes.begin(), indexes.end());
      indexes.erase(std::unique(indexes.begin(), indexes.end()), indexes.end());
      for (uint32_t i : indexes) out->add_alternatives(i);
    }
  }
  // How many rules use each part in a positive step.
  absl::flat_hash_map<uint32_t, uint32_t> uses;
  for (const pack::Entry& rule : compiled->entries()) {
    if (rule.kind() != pack::RULE) continue;
    for (const pack::RuleStep& step : rule.steps()) {
      if (step.negated()) continue;
      for (uint32_t a : step.alternatives()) ++uses[a];
    }
  }
  for (pack::Entry& rule : *compiled->mutable_entries()) {
    if (rule.kind() == pack::RULE) MarkAnchor(*compiled, uses, &rule);
  }
}

}  // namespace

bool IsSemanticVersion(std::string_view version) {
  absl::string_view v(version.data(), version.size());
  if (size_t plus = v.find('+'); plus != absl::string_view::npos) {
    for (absl::string_view part : absl::StrSplit(v.substr(plus + 1), '.')) {
      if (!IsVersionPart(part, /*numeric=*/false)) return false;
    }
    v = v.substr(0, plus);
  }
  if (size_t dash = v.find('-'); dash != absl::string_view::npos) {
    for (absl::string_view part : absl::StrSplit(v.substr(dash + 1), '.')) {
      bool all_digits = std::all_of(part.begin(), part.end(), [](char c) {
        return absl::ascii_isdigit(static_cast<unsigned char>(c));
      });
      if (!IsVersionPart(part, /*numeric=*/all_digits && !part.empty())) return false;
    }
    v = v.substr(0, dash);
  }
  std::vector<absl::string_view> core = absl::StrSplit(v, '.');
  return core.size() == 3 && IsVersionPart(core[0], true) && IsVersionPart(core[1], true) &&
         IsVersionPart(core[2], true);
}

absl::StatusOr<CompileOutput> CompileEntries(const PackSource& source, const Taxonomy& taxonomy,
                                             const CompileOptions& options) {
  CompileOutput out;
  pack::CompiledPack& compiled = out.pack;

  auto manifest_it = source.files.find(std::string(kManifestFile));
  if (manifest_it == source.files.end()) {
    return absl::NotFoundError(absl::StrCat(source.Describe(kManifestFile), ": missing"));
  }
  pack::PackManifest& manifest = *compiled.mutable_manifest();
  if (absl::Status s = ParseTextProto(source.Describe(kManifestFile), manifest_it->second, &manifest);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckManifest(source, manifest); !s.ok()) return s;

  std::vector<pack::Entry> entries;
  std::vector<std::string> row_warnings;
  auto read_files = [&](const auto& files, pack::EntryKind kind) -> absl::Status {
    for (const auto& f : files) {
      if (absl::Status s = CheckDefaults(source, f.path(), f.default_category(),
                                         f.default_severity(), f.default_flags(), taxonomy);
          !s.ok()) {
        return s;
      }
      auto content = source.files.find(f.path());
      if (content == source.files.end()) {
        return absl::NotFoundError(absl::StrCat(source.Describe(f.path()), ": missing"));
      }
      absl::StatusOr<std::vector<pack::Entry>> parsed = ParseEntryFile(
          source.Describe(f.path()), f.path(), content->second, kind,
          TsvDefaults{f.default_category(), f.default_severity(), f.default_flags()}, taxonomy,
          &row_warnings);
      if (!parsed.ok()) return parsed.status();
      if (options.strict && !row_warnings.empty()) {
        return absl::InvalidArgumentError(row_warnings.front());
      }
      for (std::string& w : row_warnings) out.warnings.push_back(std::move(w));
      row_warnings.clear();
      for (pack::Entry& e : *parsed) entries.push_back(std::move(e));
    }
    return absl::OkStatus();
  };
  if (absl::Status s = read_files(manifest.term_files(), pack::LITERAL); !s.ok()) return s;
  if (absl::Status s = read_files(manifest.regex_files(), pack::REGEX); !s.ok()) return s;
  RuleSyntaxes rules;
  if (absl::Status s = ReadRuleFiles(source, manifest, taxonomy, &entries, &rules); !s.ok()) {
    return s;
  }
  if (absl::Status s = FoldAndDeduplicate(source, manifest, options, &entries, &out.warnings);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = AddParts(source, rules, &entries); !s.ok()) return s;
  if (entries.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source.Describe(kManifestFile), ": the pack has no entries"));
  }

  // Ids, then order by id so the artefact does not depend on file order.
  for (pack::Entry& e : entries) e.set_id(EntryId(manifest.name(), e));
  // Variants get their base's id with a suffix, so they sort right after it.
  AddVariants(&entries);
  std::vector<pack::Entry*> by_id;
  by_id.reserve(entries.size());
  for (pack::Entry& e : entries) by_id.push_back(&e);
  std::sort(by_id.begin(), by_id.end(),
            [](const pack::Entry* a, const pack::Entry* b) { return a->id() < b->id(); });
  for (size_t i = 1; i < by_id.size(); ++i) {
    const pack::Entry& a = *by_id[i - 1];
    const pack::Entry& e = *by_id[i];
    if (a.id() == e.id()) {
      const pack::Entry& first = a.line() < e.line() || a.file() != e.file() ? a : e;
      const pack::Entry& second = &first == &a ? e : a;
      return absl::InvalidArgumentError(absl::StrCat(
          source.Describe(second.file()), ":", second.line(), ": id ", second.id(),
          " collides with ", first.file(), ":", first.line(), "; rename one of the terms"));
    }
  }
  // The categories the entries use, and the files' defaults (which the
  // sources name even where every line overrides them): enough taxonomy to
  // derive the entries again from the embedded sources.
  std::set<std::string> used_categories;
  auto use = [&](const std::string& code) {
    const pack::Category* c = taxonomy.Find(code);
    if (c == nullptr) return;
    used_categories.insert(code);
    if (!c->parent().empty()) used_categories.insert(c->parent());
  };
  for (const pack::TermFile& f : manifest.term_files()) use(f.default_category());
  for (const pack::RegexFile& f : manifest.regex_files()) use(f.default_category());
  compiled.mutable_entries()->Reserve(static_cast<int>(by_id.size()));
  for (pack::Entry* e : by_id) {
    if (!e->category().empty()) use(e->category());
    *compiled.add_entries() = std::move(*e);
  }
  for (const std::string& code : used_categories) {
    *compiled.add_categories() = *taxonomy.Find(code);
  }
  LinkRules(rules, &compiled);

  compiled.set_fold_version(std::string(FoldVersion()));
  compiled.set_source_sha256(SourceDigest(source));
  compiled.set_taxonomy_version(taxonomy.proto().version());
  for (const auto& [path, content] : source.files) {
    pack::SourceFile* f = compiled.add_sources();
    f->set_path(path);
    f->set_content(content);
  }
  compiled.set_entries_sha256(EntriesDigest(compiled.entries()));
  return out;
}

std::string EntriesDigest(const google::protobuf::RepeatedPtrField<pack::Entry>& entries) {
  // Every field, each with its length, in one buffer: far cheaper than
  // serialising (or hashing piece by piece) 65k messages.
  std::string buffer;
  auto add = [&buffer](std::string_view field) {
    const uint32_t size = static_cast<uint32_t>(field.size());
    buffer.append(reinterpret_cast<const char*>(&size), sizeof size);
    buffer.append(field);
  };
  for (const pack::Entry& e : entries) {
    const uint32_t numbers[] = {static_cast<uint32_t>(e.kind()), static_cast<uint32_t>(e.severity()),
                                e.flags(), e.line(), static_cast<uint32_t>(e.validator())};
    add(std::string_view(reinterpret_cast<const char*>(numbers), sizeof numbers));
    add(e.id());
    add(e.term());
    add(e.folded());
    add(e.category());
    add(e.file());
    const uint32_t variant = static_cast<uint32_t>(e.variant());
    add(std::string_view(reinterpret_cast<const char*>(&variant), sizeof variant));
    add(e.variant_of());
    add(e.base_term());
    add(e.name());
    for (const pack::RuleStep& step : e.steps()) {
      const uint32_t fields[] = {static_cast<uint32_t>(step.link()), static_cast<uint32_t>(step.max_gap()),
                                 step.negated() ? 1u : 0u, step.anchor() ? 1u : 0u};
      add(std::string_view(reinterpret_cast<const char*>(fields), sizeof fields));
      add(std::string_view(reinterpret_cast<const char*>(step.alternatives().data()),
                           step.alternatives_size() * sizeof(uint32_t)));
    }
  }
  return std::string(DigestBytes(Sha256Of(buffer)));
}

absl::StatusOr<CompileOutput> CompilePack(const PackSource& source, const Taxonomy& taxonomy,
                                          const CompileOptions& options) {
  absl::StatusOr<CompileOutput> out = CompileEntries(source, taxonomy, options);
  if (!out.ok()) return out;
  pack::CompiledPack& compiled = out->pack;
  for (DatabaseKind kind : {DatabaseKind::kLiterals, DatabaseKind::kRegexes, DatabaseKind::kParts}) {
    absl::StatusOr<HsDatabasePtr> db = BuildDatabase(compiled.entries(), kind, source.origin);
    if (!db.ok()) return db.status();
    absl::StatusOr<pack::Database> serialized = SerializeDatabase(db->get());
    if (!serialized.ok()) return serialized.status();
    *(kind == DatabaseKind::kLiterals  ? compiled.mutable_literals()
      : kind == DatabaseKind::kRegexes ? compiled.mutable_regexes()
                                       : compiled.mutable_parts()) = *std::move(serialized);
  }

  compiled.set_hyperscan_version(std::string(absl::StripAsciiWhitespace(hs_version())));
  return out;
}

}  // namespace menshen::internal
