#!/usr/bin/python3
"""Measures every default pack on benign and offensive text: the share of
lines with any hit and the share the default policy refuses or blocks.

    /usr/bin/python3 tools/packs/measure_packs.py [--cli PATH] [--shared DIR]
        [--work DIR] [--pack NAME]... [--check] [--write-readmes] [--top N]

Texts, one per line, each pack scanned alone with the default policy:
  benign, from the repository and Debian packages (always):
    fixture      tests/data/benign_zh.txt, our own sentences with the known false alarms
    manpages-zh, fortunes-zh, debian-reference-zh
                 written by tools/corpus/benign_zh.py from the installed packages
    man-en       English manual pages (/usr/share/man/man1)
  held out, from ../shared/eval and ../shared/banks (when present):
    cold-benign  the odd lines of the benign half of the COLD dev set (its even lines are
                 filter input of tools/packs/import_lexicons.py)
    cvalues      CValues should-answer questions
  offensive (recall, when present):
    cold-offensive  the offensive half of the COLD dev set

--check exits 1 when a default pack refuses or blocks more than 1% of the lines of a
benign source from the repository or Debian packages, or hits anything on more than 5%
(the CTest test default_packs_benign_rates). --write-readmes replaces each pack README's
section between <!-- measured:begin --> and <!-- measured:end --> with the table.
Nothing is copied from ../shared; the texts are read where they are.
"""

import argparse
import collections
import datetime
import glob
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MAX_REFUSE = 0.01
MAX_HIT = 0.05
# English manual pages give over a million lines; the first this many (pages in
# name order) keep the gate quick.
MAX_MAN_EN_LINES = 50000


def write_lines(path, texts):
    with open(path, "w", encoding="utf-8") as out:
        for t in texts:
            t = " ".join(t.split())
            if t:
                out.write(t + "\n")
    return path


def sources(work, shared):
    """[(name, path, kind)] with kind gate (checked), heldout or offensive."""
    out = [("fixture", os.path.join(ROOT, "tests", "data", "benign_zh.txt"), "gate")]
    zh = os.path.join(work, "benign-zh")
    if not os.path.exists(os.path.join(zh, "manpages-zh.txt")):
        subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tools", "corpus", "benign_zh.py"),
                        zh, "--shared", "/nonexistent"], check=True, stderr=subprocess.DEVNULL)
    for name in ("manpages-zh", "fortunes-zh", "debian-reference-zh"):
        path = os.path.join(zh, name + ".txt")
        if os.path.exists(path) and os.path.getsize(path) > 0:
            out.append((name, path, "gate"))
    man_en = os.path.join(work, "man-en.txt")
    if not os.path.exists(man_en):
        texts = []
        for page in sorted(glob.glob("/usr/share/man/man1/*.gz")):
            try:
                text = gzip.open(page, "rt", encoding="utf-8", errors="replace").read()
            except OSError:
                continue
            for line in text.splitlines():
                line = re.sub(r"\\f[BIRP]|\\-|\\\(..", "", line).strip()
                if line and not line.startswith((".", "'")):
                    texts.append(line)
            if len(texts) >= MAX_MAN_EN_LINES:
                break
        write_lines(man_en, texts[:MAX_MAN_EN_LINES])
    if os.path.getsize(man_en) > 0:
        out.append(("man-en", man_en, "gate"))
    cold = os.path.join(shared, "eval", "cold_dev.tsv")
    if os.path.exists(cold):
        rows = [l.rstrip("\n").split("\t") for l in open(cold, encoding="utf-8")]
        benign = [r[2] for r in rows if len(r) == 3 and r[0] == "benign"]
        offensive = [r[2] for r in rows if len(r) == 3 and r[0] == "offensive"]
        out.append(("cold-benign (held out)",
                    write_lines(os.path.join(work, "cold-benign-heldout.txt"), benign[1::2]),
                    "heldout"))
        out.append(("cold-offensive (recall)",
                    write_lines(os.path.join(work, "cold-offensive.txt"), offensive), "offensive"))
    cvalues = os.path.join(shared, "banks", "cvalues-responsibility-prompts", "prompts.jsonl")
    if os.path.exists(cvalues):
        texts = [json.loads(l)["prompt"] for l in open(cvalues, encoding="utf-8")]
        out.append(("cvalues (held out)", write_lines(os.path.join(work, "cvalues.txt"), texts),
                    "heldout"))
    return out


def measure(cli, pack, path):
    total = hit = refused = 0
    terms = collections.Counter()
    proc = subprocess.Popen([cli, "scan", "--pack", pack, path], stdout=subprocess.PIPE, text=True)
    for line in proc.stdout:
        d = json.loads(line)
        total += 1
        hits = d.get("hits") or []
        if hits:
            hit += 1
            for h in hits:
                terms[f'{h["term"]} ({h["category"]}/{h["severity"]})'] += 1
        if d.get("action") in ("REFUSE", "BLOCK"):
            refused += 1
    if proc.wait() not in (0, 1):
        sys.exit(f"measure_packs: {cli} scan failed on {path}")
    return total, hit, refused, terms


def default_packs(cli):
    out = subprocess.run([cli, "pack", "list", "--json"], check=True, stdout=subprocess.PIPE,
                         text=True).stdout
    packs = [json.loads(l) for l in out.splitlines()]
    return [(p["name"], p["version"]) for p in packs if p.get("default")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cli", default=os.path.join(ROOT, "build", "tools", "menshen", "menshen"))
    parser.add_argument("--shared", default=os.environ.get("MENSHEN_SHARED",
                                                           os.path.join(ROOT, "..", "..", "shared")))
    parser.add_argument("--work", default="")
    parser.add_argument("--pack", action="append", default=[])
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--write-readmes", action="store_true")
    parser.add_argument("--top", type=int, default=0)
    args = parser.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="menshen-measure-")
    os.makedirs(work, exist_ok=True)
    texts = sources(work, args.shared)
    packs = default_packs(args.cli)
    if args.pack:
        packs = [p for p in packs if p[0] in args.pack]
    failed = []
    today = datetime.date.today().isoformat()
    for name, version in packs:
        table = [f"| text | lines | any hit | REFUSE/BLOCK |", "|---|---:|---:|---:|"]
        for label, path, kind in texts:
            total, hit, refused, terms = measure(args.cli, name, path)
            if total == 0:
                continue
            pct = lambda n: f"{n} = {100.0 * n / total:.2f} %"
            table.append(f"| {label} | {total} | {pct(hit)} | {pct(refused)} |")
            if kind == "gate" and (refused > MAX_REFUSE * total or hit > MAX_HIT * total):
                failed.append(f"{name} on {label}: any hit {hit}/{total}, REFUSE/BLOCK "
                              f"{refused}/{total} (limits {MAX_HIT:.0%}, {MAX_REFUSE:.0%}); "
                              f"most frequent: {terms.most_common(5)}")
            for term, n in terms.most_common(args.top):
                print(f"  {name} {label}: {term} {n}", file=sys.stderr)
        text = "\n".join(table)
        print(f"## {name} {version}\n{text}\n")
        if args.write_readmes:
            readme = os.path.join(ROOT, "keyword_packs", name, "README.md")
            if not os.path.exists(readme):
                continue
            body = open(readme, encoding="utf-8").read()
            section = (f"<!-- measured:begin -->\n{today}, {name} {version} alone, default policy; "
                       "written by `/usr/bin/python3 tools/packs/measure_packs.py "
                       "--write-readmes`. A line counts as hit when the scan reports at least "
                       "one hit; REFUSE/BLOCK is the default policy's decision. The gate "
                       "(CTest `default_packs_benign_rates`) holds the benign sources from the "
                       "repository and Debian packages to at most 5 % any hit and 1 % "
                       "REFUSE/BLOCK; held-out sets are reported, not gated.\n\n"
                       f"{text}\n<!-- measured:end -->")
            new, n = re.subn(r"<!-- measured:begin -->.*?<!-- measured:end -->",
                             lambda m: section, body, flags=re.S)
            if n == 0:
                new = body.rstrip("\n") + "\n\n## Measured\n" + section + "\n"
            with open(readme, "w", encoding="utf-8") as f:
                f.write(new)
    for f in failed:
        print("measure_packs: " + f, file=sys.stderr)
    if args.check and failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
