#!/usr/bin/env python3
"""Validates the question banks and prints their counts per risk and aspect.

A bank is JSON lines, one object per line with exactly these string fields:
id, text, expect ("refuse" or "answer"), risk, source, lang ("zh" or "en").
Checks: valid UTF-8, valid JSON, no missing or extra fields, non-empty text
without surrounding white space or control characters, known codes (the A
risks of the taxonomy; for expect=answer also the aspects N1..N13), ids of the
form <expect>-<risk>-<nnn>, unique across all files, each file sorted by id,
no text twice in one file, lang agreeing with the text (zh has Han
characters, en has none).

It then prints a Markdown table (rows per risk and aspect, columns per bank
and language) and the bank-size requirements of the filing standard with
PASS or FAIL. With --strict the project's own minimums (--min-refuse per A
risk, --min-aspect per N aspect, --min-borrowed A-coded should-answer rows)
and the standard's requirements must hold as well.

usage: bank_stats.py [--taxonomy FILE] [--strict] [FILE ...]
       (default FILEs: keyword_packs/banks/should-refuse.jsonl and
        keyword_packs/banks/should-answer.jsonl of this repository)

Exit status: 0 valid (and, with --strict, every minimum met); 1 a file is
invalid or a minimum is not met; 2 bad usage or unreadable taxonomy.
Problems go to stderr, one line each: "bank_stats: FILE:LINE: message".
"""
import argparse
import json
import os
import re
import sys
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_FILES = [
    os.path.join(ROOT, "keyword_packs", "banks", "should-refuse.jsonl"),
    os.path.join(ROOT, "keyword_packs", "banks", "should-answer.jsonl"),
]
DEFAULT_TAXONOMY = os.path.join(ROOT, "keyword_packs", "taxonomy.textproto")

FIELDS = ("id", "text", "expect", "risk", "source", "lang")
EXPECTS = ("refuse", "answer")
LANGS = ("zh", "en")
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
ID = re.compile(r"^(refuse|answer)-([A-Z][0-9]+(?:\.[0-9]+)?)-([0-9]{3,})$")

# The 13 non-refusal aspects; the standard lists them in this order. They are
# bank aspects, not taxonomy categories, so they are not in taxonomy.textproto.
ASPECTS = [
    ("N1", "我国制度", "China's system"),
    ("N2", "信仰", "beliefs"),
    ("N3", "国家形象", "national image"),
    ("N4", "文化", "culture"),
    ("N5", "习俗", "customs"),
    ("N6", "民族", "ethnic groups"),
    ("N7", "地理", "geography"),
    ("N8", "历史", "history"),
    ("N9", "英烈", "heroes and martyrs"),
    ("N10", "个人性别", "a person's gender"),
    ("N11", "个人年龄", "a person's age"),
    ("N12", "个人职业", "a person's occupation"),
    ("N13", "个人健康", "a person's health"),
]

# Bank sizes the filing standard asks for (STANDARD.md, "Numbers the tooling
# must report against").
STD_REFUSE_TOTAL = 500   # should-refuse rows over the 17 A1/A2 risks
STD_REFUSE_EACH = 20     # per A1/A2 risk
STD_ANSWER_TOTAL = 500   # should-not-refuse rows over the 13 aspects
STD_ANSWER_EACH = 20     # per aspect


class Problems:
    def __init__(self):
        self.count = 0

    def add(self, where, message):
        self.count += 1
        print(f"bank_stats: {where}: {message}", file=sys.stderr)


def sort_key(code):
    """A1.10 after A1.9, N10 after N9."""
    return [int(p) if p.isdigit() else p for p in re.split(r"([0-9]+)", code)]


def load_taxonomy(path):
    """Returns [(code, name_zh, name_en)] of the leaf A risks, in code order."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    risks = []
    for block in re.findall(r"category\s*\{(.*?)\}", text, re.S):
        fields = dict(re.findall(r'(\w+):\s*"((?:[^"\\]|\\.)*)"', block))
        code = fields.get("code", "")
        if re.fullmatch(r"A[0-9]+\.[0-9]+", code):
            risks.append((code, fields.get("name_zh", ""), fields.get("name_en", "")))
    risks.sort(key=lambda r: sort_key(r[0]))
    return risks


def check_text(text):
    if not text.strip():
        return "text is empty"
    if text != text.strip():
        return "text has leading or trailing white space"
    for ch in text:
        if unicodedata.category(ch) in ("Cc", "Cf") and ch != "\u200d":
            return f"text contains control or format character U+{ord(ch):04X}"
    return None


def read_bank(path, risk_codes, aspect_codes, seen_ids, problems):
    """Returns the valid rows of one file; reports every problem."""
    rows = []
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        problems.add(path, f"cannot read: {e.strerror}")
        return rows
    texts = {}
    previous_id = None
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    else:
        problems.add(path, "last line does not end with a newline")
    for number, raw in enumerate(lines, 1):
        where = f"{path}:{number}"
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            problems.add(where, f"invalid UTF-8 at byte {e.start}")
            continue
        if line.startswith("\ufeff"):
            problems.add(where, "byte-order mark")
            line = line[1:]
        if not line.strip():
            problems.add(where, "empty line")
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            problems.add(where, f"invalid JSON: {e.msg} at column {e.colno}")
            continue
        if not isinstance(row, dict):
            problems.add(where, "not a JSON object")
            continue
        missing = [k for k in FIELDS if k not in row]
        extra = sorted(k for k in row if k not in FIELDS)
        if missing or extra:
            problems.add(where, "fields: " + ", ".join(
                [f"missing {k}" for k in missing] + [f"unknown {k}" for k in extra]))
            continue
        bad = [k for k in FIELDS if not isinstance(row[k], str)]
        if bad:
            problems.add(where, "not a string: " + ", ".join(bad))
            continue
        ok = True
        rid, text, expect, risk = row["id"], row["text"], row["expect"], row["risk"]
        if expect not in EXPECTS:
            problems.add(where, f"expect must be refuse or answer, not {expect!r}")
            ok = False
        known = risk in risk_codes or (expect == "answer" and risk in aspect_codes)
        if not known:
            problems.add(where, f"unknown risk {risk!r} for expect={expect}")
            ok = False
        m = ID.match(rid)
        if not m or m.group(1) != expect or m.group(2) != risk:
            problems.add(where, f"id {rid!r} is not {expect}-{risk}-<nnn>")
            ok = False
        if rid in seen_ids:
            problems.add(where, f"id {rid!r} already used at {seen_ids[rid]}")
            ok = False
        else:
            seen_ids[rid] = where
        if previous_id is not None and rid <= previous_id:
            problems.add(where, f"id {rid!r} out of order (after {previous_id!r})")
        previous_id = rid
        message = check_text(text)
        if message:
            problems.add(where, message)
            ok = False
        elif text in texts:
            problems.add(where, f"same text as line {texts[text]}")
            ok = False
        else:
            texts[text] = number
        if not row["source"].strip():
            problems.add(where, "source is empty")
            ok = False
        lang = row["lang"]
        if lang not in LANGS:
            problems.add(where, f"lang must be zh or en, not {lang!r}")
            ok = False
        elif (lang == "zh") != bool(HAN.search(text)):
            problems.add(where, f"lang {lang} does not match the text")
            ok = False
        if ok:
            rows.append(row)
    return rows


def count(rows):
    """{(expect, risk): {"zh": n, "en": n}}"""
    counts = {}
    for row in rows:
        cell = counts.setdefault((row["expect"], row["risk"]), {"zh": 0, "en": 0})
        cell[row["lang"]] += 1
    return counts


def cell(counts, expect, code):
    c = counts.get((expect, code))
    if not c:
        return "0"
    total = c["zh"] + c["en"]
    return f"{total} ({c['zh']} / {c['en']})"


def total_of(counts, expect, codes):
    return sum(sum(counts.get((expect, c), {}).values()) for c in codes)


def print_table(risks, counts):
    print("| code | risk or aspect | should-refuse (zh / en) | should-answer (zh / en) |")
    print("|---|---|---:|---:|")
    for code, zh, en in risks:
        print(f"| {code} | {zh} {en} | {cell(counts, 'refuse', code)} | "
              f"{cell(counts, 'answer', code)} |")
    for code, zh, en in ASPECTS:
        print(f"| {code} | {zh} {en} | {cell(counts, 'refuse', code)} | "
              f"{cell(counts, 'answer', code)} |")
    codes = [r[0] for r in risks] + [a[0] for a in ASPECTS]
    langs = {e: {"zh": 0, "en": 0} for e in EXPECTS}
    for (expect, _), c in counts.items():
        for lang in LANGS:
            langs[expect][lang] += c[lang]
    r, a = langs["refuse"], langs["answer"]
    print(f"| | **total** | **{total_of(counts, 'refuse', codes)}** ({r['zh']} / {r['en']}) | "
          f"**{total_of(counts, 'answer', codes)}** ({a['zh']} / {a['en']}) |")


def requirements(risks, counts, args):
    """[(description, met)]: the standard's, then (with --strict) the project's."""
    a12 = [c for c, _, _ in risks if c.startswith(("A1.", "A2."))]
    aspects = [c for c, _, _ in ASPECTS]
    refuse_each = min((total_of(counts, "refuse", [c]) for c in a12), default=0)
    answer_each = min((total_of(counts, "answer", [c]) for c in aspects), default=0)
    std = [
        (f"standard: should-refuse over the {len(a12)} A1/A2 risks >= {STD_REFUSE_TOTAL} "
         f"(have {total_of(counts, 'refuse', a12)})",
         total_of(counts, "refuse", a12) >= STD_REFUSE_TOTAL),
        (f"standard: should-refuse >= {STD_REFUSE_EACH} per A1/A2 risk (fewest {refuse_each})",
         refuse_each >= STD_REFUSE_EACH),
        (f"standard: should-answer over the 13 aspects >= {STD_ANSWER_TOTAL} "
         f"(have {total_of(counts, 'answer', aspects)})",
         total_of(counts, "answer", aspects) >= STD_ANSWER_TOTAL),
        (f"standard: should-answer >= {STD_ANSWER_EACH} per aspect (fewest {answer_each})",
         answer_each >= STD_ANSWER_EACH),
    ]
    all_a = [c for c, _, _ in risks]
    every_refuse = min((total_of(counts, "refuse", [c]) for c in all_a), default=0)
    borrowed = total_of(counts, "answer", all_a)
    project = [
        (f"project: should-refuse >= {args.min_refuse} per risk, all {len(all_a)} risks "
         f"(fewest {every_refuse})", every_refuse >= args.min_refuse),
        (f"project: should-answer >= {args.min_aspect} per aspect (fewest {answer_each})",
         answer_each >= args.min_aspect),
        (f"project: should-answer with borrowed sensitive words >= {args.min_borrowed} "
         f"(have {borrowed})", borrowed >= args.min_borrowed),
    ]
    return std, project


def main():
    parser = argparse.ArgumentParser(
        description="Validate the question banks and print counts per risk and aspect.")
    parser.add_argument("files", nargs="*", metavar="FILE", help="bank files (JSON lines)")
    parser.add_argument("--taxonomy", default=DEFAULT_TAXONOMY,
                        help="taxonomy.textproto with the A risk codes")
    parser.add_argument("--strict", action="store_true",
                        help="fail unless the standard's and the project's minimums are met")
    parser.add_argument("--min-refuse", type=int, default=25, metavar="N",
                        help="project minimum of should-refuse rows per A risk (default 25)")
    parser.add_argument("--min-aspect", type=int, default=40, metavar="N",
                        help="project minimum of should-answer rows per aspect (default 40)")
    parser.add_argument("--min-borrowed", type=int, default=200, metavar="N",
                        help="project minimum of A-coded should-answer rows (default 200)")
    args = parser.parse_args()
    files = args.files or DEFAULT_FILES

    try:
        risks = load_taxonomy(args.taxonomy)
    except (OSError, UnicodeDecodeError) as e:
        print(f"bank_stats: {args.taxonomy}: cannot read taxonomy: {e}", file=sys.stderr)
        return 2
    if not risks:
        print(f"bank_stats: {args.taxonomy}: no A risk codes found", file=sys.stderr)
        return 2

    problems = Problems()
    seen_ids = {}
    rows = []
    for path in files:
        rows += read_bank(path, {c for c, _, _ in risks}, {c for c, _, _ in ASPECTS},
                          seen_ids, problems)
    counts = count(rows)
    print_table(risks, counts)
    print()
    std, project = requirements(risks, counts, args)
    failed = 0
    for text, met in std + (project if args.strict else []):
        print(f"- {'PASS' if met else 'FAIL'} {text}")
        failed += not met
    if problems.count:
        print(f"bank_stats: {problems.count} problem(s) found", file=sys.stderr)
        return 1
    if args.strict and failed:
        print(f"bank_stats: {failed} requirement(s) not met", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
