#!/usr/bin/python3
"""Filter-only refusal rates of packs and a policy on question banks, per risk.

    /usr/bin/python3 tools/measure_banks.py [--cli PATH] [--pack DIR ...]
        [--policy FILE] [--banks DIR] [--mapping FILE] [--shipped DIR]
        [--show-misses N] [--show-false N] [--json FILE]

Every question is scanned once with `menshen scan --jsonl` (input direction,
default profile) and counts as refused when the decision is REFUSE or BLOCK.
Without --pack the CLI's embedded default packs are used.

Development banks (third-party, read where they are, never copied):
  <banks>/jade-db/prompts.jsonl                 should refuse (all rows)
  <banks>/multijail/prompts.jsonl               should refuse (zh and en)
  <banks>/flames/flames_1k_zh.jsonl             mixed: adversarial probes, most
                                                should be answered carefully;
                                                reported per dimension, not
                                                counted in either target
  <banks>/cvalues-responsibility-prompts/...    should answer
Risk codes of their categories come from the proposed mapping in
<lexicons>/category_mapping.proposed.tsv (a reading, not ground truth).

Shipped banks (the regression suite, keyword_packs/banks):
  should-refuse.jsonl, should-answer.jsonl      field `risk` is the code

Benign text (--benign FILE, repeatable; one text per line, e.g. manpages,
fortunes): every line should be answered; reported per file, scanned as a
prompt (input) and as an answer (output).

Output: Markdown tables on stdout (per bank, per risk: questions, refused,
rate); with --show-misses / --show-false, examples of missed should-refuse
and refused should-answer questions on stderr, for development.
"""

import argparse
import collections
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def load_mapping(path):
    """(source, category) -> primary risk code from the proposed mapping."""
    mapping = {}
    if not os.path.exists(path):
        return mapping
    with open(path, encoding="utf-8") as f:
        next(f)
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) >= 3:
                mapping[(cols[0], cols[1])] = cols[2]
    return mapping


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                yield json.loads(line)


def dev_questions(banks, mapping):
    """Yields (bank, expect, risk, id, text) for the development banks."""
    def risk(source, key):
        return mapping.get((source, key), "?")

    p = os.path.join(banks, "jade-db", "prompts.jsonl")
    if os.path.exists(p):
        for r in read_jsonl(p):
            yield ("jade-db", "refuse", risk("jade-db", r["category"] + "/" + r["subcategory"]),
                   r["id"], r["prompt"])
    p = os.path.join(banks, "multijail", "prompts.jsonl")
    if os.path.exists(p):
        for r in read_jsonl(p):
            yield ("multijail-" + r["lang"], "refuse", risk("multijail", r["category"]),
                   r["id"], r["prompt"])
    p = os.path.join(banks, "flames", "flames_1k_zh.jsonl")
    if os.path.exists(p):
        for r in read_jsonl(p):
            yield ("flames", "mixed", r["category"] + "/" + r["subcategory"], r["id"], r["prompt"])
    p = os.path.join(banks, "cvalues-responsibility-prompts", "prompts.jsonl")
    if os.path.exists(p):
        for r in read_jsonl(p):
            yield ("cvalues", "answer", risk("cvalues", r["category"]), r["id"], r["prompt"])


def shipped_questions(folder):
    for name, bank in (("should-refuse.jsonl", "shipped-refuse"),
                       ("should-answer.jsonl", "shipped-answer")):
        p = os.path.join(folder, name)
        if os.path.exists(p):
            for r in read_jsonl(p):
                yield (bank, r["expect"], r["risk"], r["id"], r["text"])


def scan_all(cli, packs, policy, questions, direction="input"):
    """Runs the CLI once over every question; returns id -> decision."""
    cmd = [cli, "scan", "--jsonl", "--direction", direction]
    for p in packs:
        cmd += ["--pack", p]
    if policy:
        cmd += ["--policy", policy]
    payload = "".join(json.dumps({"id": q[3], "text": q[4]}, ensure_ascii=False) + "\n"
                      for q in questions)
    proc = subprocess.run(cmd, input=payload, capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        sys.exit(f"measure_banks: {' '.join(cmd)} failed: {proc.stderr.strip()}")
    out = {}
    for line in proc.stdout.splitlines():
        d = json.loads(line)
        out[d["id"]] = d
    return out


def refused(decision):
    return decision.get("action") in ("REFUSE", "BLOCK")


def pct(n, total):
    return f"{100.0 * n / total:.1f} %" if total else "-"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cli", default=os.environ.get("MENSHEN", os.path.join(ROOT, "build/tools/menshen/menshen")))
    parser.add_argument("--pack", action="append", default=[])
    parser.add_argument("--policy")
    parser.add_argument("--banks", default=os.path.join(ROOT, "..", "..", "shared", "banks"))
    parser.add_argument("--mapping")
    parser.add_argument("--shipped", default=os.path.join(ROOT, "keyword_packs", "banks"))
    parser.add_argument("--no-dev", action="store_true")
    parser.add_argument("--no-shipped", action="store_true")
    parser.add_argument("--show-misses", type=int, default=0)
    parser.add_argument("--show-false", type=int, default=0)
    parser.add_argument("--only-bank", action="append", default=[])
    parser.add_argument("--benign", action="append", default=[])
    parser.add_argument("--json")
    args = parser.parse_args()
    banks = os.path.normpath(args.banks)
    mapping_path = args.mapping or os.path.join(os.path.dirname(banks), "lexicons",
                                                "category_mapping.proposed.tsv")
    mapping = load_mapping(mapping_path)

    questions = []
    if not args.no_dev:
        questions += list(dev_questions(banks, mapping))
    if not args.no_shipped:
        questions += list(shipped_questions(args.shipped))
    if args.only_bank:
        questions = [q for q in questions if q[0] in args.only_bank]
    # Ids must be unique for one scan: prefix the bank.
    questions = [(b, e, r, f"{b}|{i}", t) for (b, e, r, i, t) in questions]
    decisions = scan_all(args.cli, args.pack, args.policy, questions)

    per_bank = collections.OrderedDict()
    for bank, expect, risk, qid, text in questions:
        d = decisions.get(qid, {})
        entry = per_bank.setdefault(bank, {"expect": expect, "risks": collections.Counter(),
                                           "refused": collections.Counter(), "hit": 0,
                                           "misses": [], "false": []})
        entry["risks"][risk] += 1
        # Context words (X5, the default policy's context_categories) are no
        # risk: the policy counts them toward nothing, and so does "any hit".
        if any(h.get("category") != "X5" for h in d.get("hits") or []):
            entry["hit"] += 1
        if refused(d):
            entry["refused"][risk] += 1
            if expect == "answer":
                entry["false"].append((qid, text, d))
        elif expect == "refuse":
            entry["misses"].append((qid, text, d))

    summary = {}
    print("| bank | expect | questions | any hit | refused (REFUSE/BLOCK) |")
    print("|---|---|---:|---:|---:|")
    for bank, e in per_bank.items():
        total = sum(e["risks"].values())
        n = sum(e["refused"].values())
        summary[bank] = {"expect": e["expect"], "questions": total, "refused": n,
                         "per_risk": {r: [e["refused"][r], c] for r, c in sorted(e["risks"].items())}}
        print(f"| {bank} | {e['expect']} | {total} | {pct(e['hit'], total)} | {n} = {pct(n, total)} |")
    groups = {"development should-refuse (jade-db + multijail)":
              [b for b in per_bank if b == "jade-db" or b.startswith("multijail")],
              "development should-answer (cvalues)": ["cvalues"]}
    print()
    for name, members in groups.items():
        total = sum(summary[b]["questions"] for b in members if b in summary)
        n = sum(summary[b]["refused"] for b in members if b in summary)
        if total:
            print(f"{name}: {n} / {total} = {pct(n, total)}")
    for bank, e in per_bank.items():
        print()
        print(f"### {bank} ({e['expect']})")
        print()
        print("| risk | questions | refused | rate |")
        print("|---|---:|---:|---:|")
        for r, c in sorted(e["risks"].items()):
            print(f"| {r} | {c} | {e['refused'][r]} | {pct(e['refused'][r], c)} |")
        for label, items, limit in (("missed", e["misses"], args.show_misses),
                                    ("refused", e["false"], args.show_false)):
            for qid, text, d in items[:limit]:
                hits = ",".join(f"{h['term']}/{h['category']}/{h['severity']}" for h in d.get("hits", []))
                print(f"{label}\t{qid}\t{text[:160]}\t{d.get('rule', '')}\t{hits}", file=sys.stderr)
    if args.benign:
        print()
        print("### benign text, one per line (should answer)")
        print()
        print("| file | lines | refused as input | refused as output |")
        print("|---|---:|---:|---:|")
        for path in args.benign:
            with open(path, encoding="utf-8", errors="replace") as f:
                lines = [l.strip() for l in f if l.strip()]
            qs = [("benign", "answer", "-", f"b{i}", t) for i, t in enumerate(lines)]
            row = []
            for direction in ("input", "output"):
                d = scan_all(args.cli, args.pack, args.policy, qs, direction)
                bad = [q for q in qs if refused(d.get(q[3], {}))]
                row.append(f"{len(bad)} = {pct(len(bad), len(qs))}")
                for q in bad[:args.show_false]:
                    hits = ",".join(f"{h['term']}/{h['category']}" for h in d[q[3]].get("hits", []))
                    print(f"benign-{direction}\t{os.path.basename(path)}\t{q[4][:160]}\t"
                          f"{d[q[3]].get('rule', '')}\t{hits}", file=sys.stderr)
            summary["benign:" + os.path.basename(path)] = {"lines": len(qs), "refused": row}
            print(f"| {os.path.basename(path)} | {len(qs)} | {row[0]} | {row[1]} |")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(summary, f, ensure_ascii=False, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
