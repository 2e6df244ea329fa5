// What the engine decides about one text.
#ifndef MENSHEN_DECISION_H_
#define MENSHEN_DECISION_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace menshen {

class Engine;

// Which way the text travels: a prompt into the model, or a completion out.
enum class Direction { kInput, kOutput };

// Actions, weakest to strongest.
enum class Action { kAllow, kFlag, kMask, kRefuse, kBlock };

// "ALLOW", "FLAG", "MASK", "REFUSE", "BLOCK".
std::string_view ActionName(Action action);
// "input", "output".
std::string_view DirectionName(Direction direction);

// One match of a pack entry. String views point into the engine that made the
// decision and stay valid while the Decision (which holds the engine) lives.
struct Hit {
  std::string_view entry_id;  // stable id, "<pack>:<12 hex digits>"
  std::string_view pack;      // pack name
  std::string_view category;  // taxonomy code, e.g. "A1.8"
  std::string_view term;      // the term as written (for a regex its name, else the pattern)
  int severity = 0;           // 1 (low) .. 4 (critical)
  bool regex = false;
  // Byte span [start, end) in the caller's original text.
  size_t start = 0;
  size_t end = 0;
  // Which foldings the match needed (menshen::internal::FoldKind bits); only
  // computed when EngineOptions::explain is set.
  uint32_t foldings = 0;
  // The hit of a rule (docs/packs.md, "Rules"): `term` is the rule's text,
  // the span runs from the first to the last byte of the parts that
  // satisfied it, and those parts are Decision::rule_parts[first_part,
  // first_part + part_count). A rule's hit is never masked: its parts are
  // ordinary words that mean harm only together.
  bool rule = false;
  uint32_t first_part = 0;
  uint32_t part_count = 0;
};

// One part of a rule's hit: the term of the rule that matched, and where.
struct RulePart {
  std::string_view term;  // as written in the rule
  size_t start = 0;       // original bytes [start, end)
  size_t end = 0;
};

// Where the policy wants the AI-generated label placed, for output.
enum class LabelPosition { kNone, kStart, kEnd };

struct Decision {
  Action action = Action::kAllow;
  // The rule that decided, "<profile>/<rule name>", or "<profile>/default"
  // when no rule matched, or "<profile>/no-hits"; for a stream that could not
  // go on, "<profile>/stream-limit" (see cut_reason).
  std::string rule;
  // Why a stream was cut without a rule deciding: "max_input_bytes" or
  // "max_stream_holdback_bytes". Such a stream fails closed: the action is
  // the policy's stream_limit_action (REFUSE or BLOCK), never ALLOW. Empty
  // otherwise (and always for a block check).
  std::string cut_reason;
  // The profile that decided.
  std::string profile;
  // Deny hits in order of start, then end, then entry id. Allowlisted spans
  // and rejected candidates are not here, nor are rule parts by themselves. A
  // stream keeps at most
  // EngineOptions::max_stream_hits of them (the most severe, the earliest
  // among equals) and counts the rest in hits_not_kept; the action, rule and
  // refusal are decided on all of them.
  std::vector<Hit> hits;
  size_t hits_not_kept = 0;
  // The parts of rule hits (Hit::first_part, Hit::part_count).
  std::vector<RulePart> rule_parts;
  // The original text with every hit span masked in the policy's masking
  // style (a mask character per code point, or a placeholder per span).
  std::string masked;
  // A message to send instead of the text, for REFUSE and BLOCK.
  std::string refusal;
  // The AI-generated-content label the caller should add to output, and
  // where; empty/kNone when the policy asks for none or for input.
  std::string label;
  LabelPosition label_position = LabelPosition::kNone;
  // Version of the policy that decided; valid while `engine` lives.
  std::string_view policy_version;
  // Invalid UTF-8 sequences in the text (treated as U+FFFD).
  size_t invalid_utf8 = 0;
  // The engine snapshot that decided; keeps the hits' string views valid.
  std::shared_ptr<const Engine> engine;
  // Regex matches dropped because their entry's validator rejected them (an ID
  // number with a bad check digit, a card number failing Luhn, a private IP
  // address, a mobile number inside a longer run of digits).
  size_t rejected_by_validators = 0;
};

}  // namespace menshen

#endif  // MENSHEN_DECISION_H_
