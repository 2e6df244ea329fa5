#!/usr/bin/python3
"""Scans text files (one text a line) with keyword packs and reports how often they fire.

For each file: the texts with at least one hit, the texts the policy refuses or
blocks (scanned as model output, so severity 4 shows as BLOCK), and, with
--terms N, the N terms that fire most often there with one example each. Meant
for benign texts (false alarms: every hit is suspect) and for offensive texts
(a rough recall). Nothing is written; the files are read where they are.

usage: measure_benign.py --cli MENSHEN --pack DIR [--pack DIR ...]
                         [--terms N] [--tsv] FILE [FILE ...]
"""
import argparse
import collections
import json
import os
import subprocess
import sys


def scan(cli, packs, path):
    """Yields (text, decision) for every line of `path`."""
    args = [cli, "scan", "--direction", "output"]
    for p in packs:
        args += ["--pack", p]
    args.append(path)
    proc = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if proc.returncode != 0:
        sys.exit("measure_benign: %s: %s" % (path, proc.stderr.decode(errors="replace").strip()))
    with open(path, encoding="utf-8", errors="replace") as f:
        texts = f.read().split("\n")
    decisions = proc.stdout.decode().splitlines()
    for i, line in enumerate(decisions):
        yield texts[i] if i < len(texts) else "", json.loads(line)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cli", required=True)
    ap.add_argument("--pack", action="append", required=True)
    ap.add_argument("--terms", type=int, default=0, help="list the N most frequent terms per file")
    ap.add_argument("--tsv", action="store_true", help="machine-readable rows")
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()

    if not a.tsv:
        print("%-28s %7s %15s %15s" % ("file", "texts", "any hit", "REFUSE/BLOCK"))
    for path in a.files:
        total = hit = refused = 0
        terms = collections.Counter()
        example = {}
        for text, d in scan(a.cli, a.pack, path):
            total += 1
            if not d["hits"]:
                continue
            hit += 1
            if d["action"] in ("REFUSE", "BLOCK"):
                refused += 1
            raw = text.encode("utf-8")
            for h in {(x["term"], x["category"], x["severity"]) for x in d["hits"]}:
                terms[h] += 1
                if h not in example:
                    s = next(x for x in d["hits"] if x["term"] == h[0])
                    lo, hi = max(0, s["start"] - 45), s["end"] + 45
                    example[h] = raw[lo:hi].decode("utf-8", errors="ignore").replace("\t", " ")
        name = os.path.basename(path)
        pct = lambda n: 100.0 * n / total if total else 0.0
        if a.tsv:
            print("%s\t%d\t%d\t%d\t%.2f\t%.2f" % (name, total, hit, refused, pct(hit), pct(refused)))
        else:
            print("%-28s %7d %6d = %5.2f%% %6d = %5.2f%%" %
                  (name, total, hit, pct(hit), refused, pct(refused)))
        for (term, cat, sev), n in terms.most_common(a.terms):
            print("    %4d  %-24s %s/%d  …%s…" % (n, term, cat, sev, example[(term, cat, sev)]))


if __name__ == "__main__":
    main()
