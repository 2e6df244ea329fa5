#!/usr/bin/python3
"""Builds keyword_packs/banks/generated-content.jsonl, the generated-content test bank.

The filing standard (GB/T 45654-2025) asks for a bank of at least 2,000 questions over the 31
risks of its Appendix A (at least 50 for each A1/A2 risk, 20 for each other risk) that are put
to the model; its answers are then spot-checked with the keyword packs. This script derives the
bank from openly licensed question sets read where they are staged (../shared/banks/, never
copied into the repository) and from questions the menshen project wrote itself:

  1. reads each source's SOURCE.md and LICENSE and refuses a source whose licence is not the
     one expected (MIT or Apache-2.0, both allowing redistribution with attribution);
  2. files every question under one risk code with tools/banks/generated_bank_mapping.tsv
     (or skips it); the table must cover every staged question;
  3. caps the families of near-identical questions listed in
     tools/banks/generated_bank_families.tsv (JADE's templated variants) and files the kept
     ones under the family's risk;
  4. adds tools/banks/menshen_generated_questions.jsonl (our own questions for risks the
     third-party sets miss);
  5. drops duplicates: the same text after NFKC, case folding and removing everything but
     letters and digits, then near-duplicates within a risk (character-bigram Jaccard >= 0.83);
  6. keeps every question of ours and at most CAP third-party questions per risk, chosen
     round-robin over the source categories in an order fixed by SHA-256 of SEED and the id;
  7. validates (unique ids, known codes, non-empty text, every minimum met) and writes the
     bank sorted by risk, source and id, the per-risk table in GENERATED-CONTENT.md, and the
     licence texts of the sources used into keyword_packs/banks/licenses/.

Standard library only; run with Debian's /usr/bin/python3. The same inputs give the same bytes.

  /usr/bin/python3 tools/banks/build_generated_bank.py [--shared DIR] [--check]

--shared defaults to $MENSHEN_SHARED, else ../shared next to the repository. --check writes
nothing and exits 1 when a committed output differs from what the inputs give.
"""

import argparse
import collections
import hashlib
import json
import os
import re
import sys
import unicodedata

SEED = "menshen-generated-content-1"
CAP = 150  # third-party questions kept per risk
NEAR_DUPLICATE = 0.83  # character-bigram Jaccard at or above which a question is dropped
OWN_SOURCE = "menshen"


class Source:
    """A staged third-party bank: where it is and the licence it must carry."""

    def __init__(self, name, folder, data, spdx, licence_marker):
        self.name = name  # the `source` field of the bank and of the mapping table
        self.folder = folder  # folder under <shared>/banks/
        self.data = data  # JSON-lines file in that folder
        self.spdx = spdx  # SPDX identifier SOURCE.md must state
        self.licence_marker = licence_marker  # text the LICENSE file must contain


# Order matters: it is the order of preference when two sources hold the same question.
SOURCES = [
    Source("jade-db", "jade-db", "prompts.jsonl", "MIT", "Permission is hereby granted, free of charge"),
    Source("flames", "flames", "flames_1k_zh.jsonl", "Apache-2.0", "Apache License\n                           Version 2.0"),
    Source("multijail", "multijail", "prompts.jsonl", "MIT", "Permission is hereby granted, free of charge"),
    Source("cvalues", "cvalues-responsibility-prompts", "prompts.jsonl", "Apache-2.0",
           "Apache License\n                           Version 2.0"),
]
SOURCE_ORDER = {s.name: i for i, s in enumerate(SOURCES)}
SOURCE_ORDER[OWN_SOURCE] = -1


class BuildError(Exception):
    pass


def minimum_for(code):
    return 50 if code.startswith(("A1.", "A2.")) else 20


def natural_key(text):
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text)]


def read_taxonomy(path):
    """Returns the risk codes (A1.1 … A5.2) in taxonomy order."""
    with open(path, encoding="utf-8") as f:
        codes = re.findall(r'^\s*code:\s*"(A\d\.\d+)"', f.read(), re.M)
    if len(codes) != 31 or len(set(codes)) != 31:
        raise BuildError(f"{path}: expected 31 risk codes A1.1 … A5.2, found {len(codes)}")
    return codes


def check_licence(shared, source):
    folder = os.path.join(shared, "banks", source.folder)
    with open(os.path.join(folder, "SOURCE.md"), encoding="utf-8") as f:
        text = f.read()
    if not re.search(r"SPDX `%s`" % re.escape(source.spdx), text):
        raise BuildError(f"{folder}/SOURCE.md: does not state the licence {source.spdx}")
    with open(os.path.join(folder, "LICENSE"), encoding="utf-8") as f:
        if source.licence_marker not in f.read():
            raise BuildError(f"{folder}/LICENSE: not the {source.spdx} text")
    repo = re.search(r"Repository: (\S+)", text)
    commit = re.search(r"commit[^:]*: ([0-9a-f]{40})", text)
    if not repo or not commit:
        raise BuildError(f"{folder}/SOURCE.md: no repository or commit")
    return repo.group(1), commit.group(1)


def read_mapping(path, taxonomy):
    """Returns {(source, lang, selector): (risk, line)}."""
    rows = {}
    known = {s.name for s in SOURCES}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) < 4:
                raise BuildError(f"{path}:{n}: expected source, lang, selector, risk[, note]")
            source, lang, selector, risk = cols[:4]
            if source not in known:
                raise BuildError(f"{path}:{n}: unknown source {source!r}")
            if lang not in ("zh", "en", "*"):
                raise BuildError(f"{path}:{n}: lang must be zh, en or *")
            if risk != "skip" and risk not in taxonomy:
                raise BuildError(f"{path}:{n}: unknown risk code {risk!r}")
            key = (source, lang, selector)
            if key in rows:
                raise BuildError(f"{path}:{n}: same selector as line {rows[key][1]}")
            rows[key] = (risk, n)
    return rows


def lookup(mapping, source, row, used):
    """The most specific mapping row for a staged question: (risk, group) or None.

    Every row that matches is marked used, also when a more specific one wins."""
    category, sub = row["category"], row.get("subcategory", "")
    selectors = ["id=" + row["id"]]
    if source in ("jade-db", "flames"):
        selectors.append(f"{category}/{sub}")
    selectors += [category, "*"]
    winner = None
    for selector in selectors:
        for lang in (row["lang"], "*"):
            hit = mapping.get((source, lang, selector))
            if hit:
                used.add(hit[1])
                winner = winner or hit[0]
    if winner is None:
        return None
    group = f"{category}/{sub}" if source in ("jade-db", "flames") else category
    return winner, group


def bank_id(source, original):
    if source == "jade-db":  # jade:jade-db-v2.0/jade_benchmark_easy_zh.csv:17 -> v2-easy-zh-17
        m = re.fullmatch(r"jade:jade-db-v(\d+)\.\d+/jade_benchmark_(\w+)\.csv:(\d+)", original)
        if not m:
            raise BuildError(f"jade-db: unexpected id {original!r}")
        return f"gen-jade-db-v{m.group(1)}-{m.group(2).replace('_', '-')}-{m.group(3)}"
    m = re.fullmatch(r"(?:flames|multijail|cvalues):([\w:]+)", original)
    if not m:
        raise BuildError(f"{source}: unexpected id {original!r}")
    return f"gen-{source}-{m.group(1).replace(':', '-')}"


def read_source(shared, source, mapping, used):
    path = os.path.join(shared, "banks", source.folder, source.data)
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            row = json.loads(line)
            hit = lookup(mapping, source.name, row, used)
            if hit is None:
                raise BuildError(f"{path}:{n}: no mapping row for {source.name} "
                                 f"{row['lang']} {row['category']}/{row.get('subcategory', '')}")
            risk, group = hit
            if risk == "skip":
                continue
            out.append({
                "id": bank_id(source.name, row["id"]),
                "text": row["prompt"].strip(),
                "expect": "generate",
                "risk": risk,
                "source": source.name,
                "lang": row["lang"],
                "_group": f"{source.name}/{group}",
            })
    return out


def read_families(path, taxonomy):
    """Returns [(source, name, compiled regex, keep, risk or None, line)]."""
    families = []
    known = {s.name for s in SOURCES}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) < 5:
                raise BuildError(f"{path}:{n}: expected source, family, regex, keep, risk[, note]")
            source, name, regex, keep, risk = cols[:5]
            if source not in known:
                raise BuildError(f"{path}:{n}: unknown source {source!r}")
            try:
                compiled = re.compile(regex)
            except re.error as e:
                raise BuildError(f"{path}:{n}: bad regex: {e}") from None
            if not keep.isdigit():
                raise BuildError(f"{path}:{n}: keep must be a number")
            if risk != "-" and risk not in taxonomy:
                raise BuildError(f"{path}:{n}: unknown risk code {risk!r}")
            families.append((source, name, compiled, int(keep), None if risk == "-" else risk, n))
    return families


def cap_families(questions, families, path):
    """Keeps the first `keep` questions of each family and files them under its risk."""
    members = collections.defaultdict(list)
    for q in sorted(questions, key=order_key):
        for family in families:
            if q["source"] == family[0] and family[2].search(q["text"]):
                members[family[5]].append(q)
                break
    empty = [str(f[5]) for f in families if not members[f[5]]]
    if empty:
        raise BuildError(f"{path}: families matching no question: lines " + ", ".join(empty))
    dropped = set()
    for source, name, regex, keep, risk, line in families:
        for i, q in enumerate(members[line]):
            if i >= keep:
                dropped.add(id(q))
            elif risk:
                q["risk"] = risk
    return [q for q in questions if id(q) not in dropped], len(dropped)


def read_own(path, taxonomy):
    out = []
    seen = set()
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise BuildError(f"{path}:{n}: {e}") from None
            if set(row) != {"id", "risk", "lang", "text"}:
                raise BuildError(f"{path}:{n}: fields must be id, risk, lang, text")
            if row["risk"] not in taxonomy:
                raise BuildError(f"{path}:{n}: unknown risk code {row['risk']!r}")
            if not re.fullmatch(r"A\d\.\d+-\d{3}", row["id"]) or not row["id"].startswith(row["risk"] + "-"):
                raise BuildError(f"{path}:{n}: id must be <risk>-<3 digits>, e.g. {row['risk']}-001")
            if row["id"] in seen:
                raise BuildError(f"{path}:{n}: duplicate id {row['id']}")
            if row["lang"] not in ("zh", "en"):
                raise BuildError(f"{path}:{n}: lang must be zh or en")
            seen.add(row["id"])
            out.append({
                "id": f"gen-{OWN_SOURCE}-{row['id']}",
                "text": row["text"].strip(),
                "expect": "generate",
                "risk": row["risk"],
                "source": OWN_SOURCE,
                "lang": row["lang"],
                "_group": OWN_SOURCE,
            })
    return out


def dedup_key(text):
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(c for c in text if unicodedata.category(c)[0] in "LN")


def bigrams(key):
    return {key[i:i + 2] for i in range(len(key) - 1)} or {key}


def order_key(q):
    return (SOURCE_ORDER[q["source"]], natural_key(q["id"]))


def drop_duplicates(questions):
    """Keeps the first of each exact or near duplicate, in source order; returns (kept, counts)."""
    kept, seen = [], set()
    by_risk = collections.defaultdict(list)
    dropped = collections.Counter()
    for q in sorted(questions, key=order_key):
        key = dedup_key(q["text"])
        if key in seen:
            dropped["exact"] += 1
            continue
        grams = bigrams(key)
        if any(len(grams & g) / len(grams | g) >= NEAR_DUPLICATE for g in by_risk[q["risk"]]):
            dropped["near"] += 1
            continue
        seen.add(key)
        by_risk[q["risk"]].append(grams)
        kept.append(q)
    return kept, dropped


def select(questions, taxonomy):
    """All of our questions; third-party ones round-robin over their groups, at most CAP a risk."""
    chosen = []
    for code in taxonomy:
        mine = [q for q in questions if q["risk"] == code and q["source"] == OWN_SOURCE]
        groups = collections.defaultdict(list)
        for q in questions:
            if q["risk"] == code and q["source"] != OWN_SOURCE:
                groups[q["_group"]].append(q)
        queues = []
        for name in sorted(groups):
            queue = sorted(groups[name], key=lambda q: hashlib.sha256(
                f"{SEED}\0{q['id']}".encode()).hexdigest())
            queues.append(collections.deque(queue))
        taken = []
        while len(taken) < CAP and any(queues):
            for queue in queues:
                if queue and len(taken) < CAP:
                    taken.append(queue.popleft())
        chosen += mine + taken
    return chosen


def validate(bank, taxonomy):
    ids = set()
    for q in bank:
        if q["id"] in ids:
            raise BuildError(f"duplicate id {q['id']}")
        ids.add(q["id"])
        if q["risk"] not in taxonomy:
            raise BuildError(f"{q['id']}: unknown risk {q['risk']}")
        if not q["text"]:
            raise BuildError(f"{q['id']}: empty text")
    counts = collections.Counter(q["risk"] for q in bank)
    short = [f"{c} {counts[c]} < {minimum_for(c)}" for c in taxonomy if counts[c] < minimum_for(c)]
    if short:
        raise BuildError("below the minimum: " + ", ".join(short))
    if len(bank) < 2000:
        raise BuildError(f"{len(bank)} questions, fewer than 2,000")


def count_table(bank, taxonomy, steps):
    per = collections.defaultdict(collections.Counter)
    for q in bank:
        per[q["risk"]][q["source"]] += 1
    names = [s.name for s in SOURCES] + [OWN_SOURCE]
    lines = ["| risk | minimum | " + " | ".join(names) + " | total |",
             "|---|---:|" + "---:|" * len(names) + "---:|"]
    for code in taxonomy:
        cells = [str(per[code][n]) if per[code][n] else "" for n in names]
        lines.append(f"| {code} | {minimum_for(code)} | " + " | ".join(cells) +
                     f" | {sum(per[code].values())} |")
    totals = [str(sum(per[c][n] for c in taxonomy)) for n in names]
    lines.append("| **all** | 2,000 | " + " | ".join(totals) + f" | **{len(bank):,}** |")
    langs = collections.Counter(q["lang"] for q in bank)
    lines.append("")
    lines.append("Languages: " + ", ".join(f"{k} {v:,}" for k, v in sorted(langs.items())) + ". " + steps)
    return "\n".join(lines) + "\n"


def replace_section(text, body):
    begin, end = "<!-- counts:begin -->\n", "<!-- counts:end -->"
    i, j = text.find(begin), text.find(end)
    if i < 0 or j < i:
        raise BuildError("GENERATED-CONTENT.md: no <!-- counts:begin --> … <!-- counts:end --> section")
    return text[:i + len(begin)] + body + text[j:]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", help="the folder holding banks/ (default: $MENSHEN_SHARED or ../shared)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if outputs are stale")
    args = parser.parse_args()

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    shared = args.shared or os.environ.get("MENSHEN_SHARED") or os.path.join(root, "..", "shared")
    here = os.path.join(root, "tools", "banks")
    banks = os.path.join(root, "keyword_packs", "banks")
    taxonomy = read_taxonomy(os.path.join(root, "keyword_packs", "taxonomy.textproto"))
    mapping_path = os.path.join(here, "generated_bank_mapping.tsv")
    mapping = read_mapping(mapping_path, taxonomy)

    questions, used = [], set()
    for source in SOURCES:
        check_licence(shared, source)
        questions += read_source(shared, source, mapping, used)
    unused = sorted(line for risk, line in mapping.values() if line not in used)
    if unused:
        raise BuildError(f"{mapping_path}: rows matching no staged question: lines "
                         + ", ".join(map(str, unused)))
    families_path = os.path.join(here, "generated_bank_families.tsv")
    questions, in_families = cap_families(questions, read_families(families_path, taxonomy), families_path)
    questions += read_own(os.path.join(here, "menshen_generated_questions.jsonl"), taxonomy)

    candidates = collections.Counter(q["risk"] for q in questions)
    unique, dropped = drop_duplicates(questions)
    bank = select(unique, taxonomy)
    steps = (f"Questions filed under a risk: {sum(candidates.values()) + in_families:,}; dropped as variants "
             f"of a family: {in_families:,}; as duplicates: {dropped['exact']:,} exact, {dropped['near']:,} "
             f"near; left out by the cap per risk: {len(unique) - len(bank):,}; kept: {len(bank):,}.")
    print(steps)
    print(f"{'risk':6} {'cand':>5} {'kept':>5} {'own':>4} {'min':>4}")
    kept = collections.Counter(q["risk"] for q in bank)
    own = collections.Counter(q["risk"] for q in bank if q["source"] == OWN_SOURCE)
    for code in taxonomy:
        print(f"{code:6} {candidates[code]:5} {kept[code]:5} {own[code]:4} {minimum_for(code):4}")
    validate(bank, taxonomy)
    rank = {c: i for i, c in enumerate(taxonomy)}
    bank.sort(key=lambda q: (rank[q["risk"]], SOURCE_ORDER[q["source"]], natural_key(q["id"])))
    fields = ("id", "text", "expect", "risk", "source", "lang")
    data = "".join(json.dumps({k: q[k] for k in fields}, ensure_ascii=False, separators=(",", ":")) + "\n"
                   for q in bank)

    outputs = {os.path.join(banks, "generated-content.jsonl"): data.encode("utf-8")}
    doc = os.path.join(banks, "GENERATED-CONTENT.md")
    if os.path.exists(doc):
        with open(doc, encoding="utf-8") as f:
            outputs[doc] = replace_section(f.read(), count_table(bank, taxonomy, steps)).encode("utf-8")
    used_sources = {q["source"] for q in bank}
    for source in SOURCES:
        if source.name in used_sources:
            with open(os.path.join(shared, "banks", source.folder, "LICENSE"), "rb") as f:
                outputs[os.path.join(banks, "licenses", f"{source.name}-LICENSE.txt")] = f.read()

    stale = []
    for path, content in outputs.items():
        old = None
        if os.path.exists(path):
            with open(path, "rb") as f:
                old = f.read()
        if old != content:
            stale.append(os.path.relpath(path, root))
            if not args.check:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as f:
                    f.write(content)

    if args.check and stale:
        print("stale: " + ", ".join(stale), file=sys.stderr)
        return 1
    for path in stale if not args.check else []:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (BuildError, OSError, json.JSONDecodeError) as e:
        print(f"build_generated_bank: {e}", file=sys.stderr)
        sys.exit(1)
