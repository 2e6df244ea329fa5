#!/usr/bin/python3
"""Measures keyword packs on benign and offensive text, one text per line.

    /usr/bin/python3 tools/measure_risk_packs.py [--cli PATH] [--top N]
        [--offensive FILE] PACK_DIR FILE...

For each FILE it prints the share of lines with at least one hit of the pack
and the share whose decision (default policy) is REFUSE or BLOCK; with --top N,
the N terms that fire most often there, so false hits can be found and fixed.
--offensive FILE adds one file whose hit rate is the pack's recall (read only
for measuring). Files are read where they are; nothing is copied.

Benign files used for the risk-a2 … risk-a5 READMEs:
  /work/corpora/benign-zh/*.txt   (tools/corpus/benign_zh.py)
  English manual pages:           zcat /usr/share/man/man1/*.gz | sed '/^\\./d'
                                  | grep -v '^[[:space:]]*$'
"""

import argparse
import collections
import json
import os
import subprocess
import sys


def scan(cli, pack, path):
    """Yields the decision of each line of PATH (a dict from the CLI's JSON)."""
    proc = subprocess.Popen([cli, "scan", "--pack", pack, path],
                            stdout=subprocess.PIPE, text=True)
    for line in proc.stdout:
        yield json.loads(line)
    if proc.wait() not in (0, 1):
        sys.exit(f"measure_risk_packs: {cli} failed on {path}")


def measure(cli, pack, path, top):
    total = hit = refused = 0
    terms = collections.Counter()
    for decision in scan(cli, pack, path):
        total += 1
        hits = decision.get("hits") or []
        if hits:
            hit += 1
            for h in hits:
                terms[f'{h["term"]} ({h["category"]}/{h["severity"]})'] += 1
        if decision.get("action") in ("REFUSE", "BLOCK"):
            refused += 1
    return total, hit, refused, terms.most_common(top)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cli", default=os.environ.get("MENSHEN", "build/tools/menshen/menshen"))
    parser.add_argument("--top", type=int, default=0)
    parser.add_argument("--offensive", action="append", default=[])
    parser.add_argument("pack")
    parser.add_argument("files", nargs="*")
    args = parser.parse_args()

    print(f"| text (pack {os.path.basename(args.pack.rstrip('/'))}) | lines | any hit | REFUSE/BLOCK |")
    print("|---|---:|---:|---:|")
    rows = [(f, False) for f in args.files] + [(f, True) for f in args.offensive]
    for path, offensive in rows:
        total, hit, refused, top = measure(args.cli, args.pack, path, args.top)
        pct = lambda n: 100.0 * n / total if total else 0.0
        name = os.path.basename(path) + (" (offensive: recall)" if offensive else "")
        print(f"| {name} | {total} | {hit} = {pct(hit):.2f} % | {refused} = {pct(refused):.2f} % |")
        for term, n in top:
            print(f"|   {term} | | {n} | |", file=sys.stderr)


if __name__ == "__main__":
    main()
