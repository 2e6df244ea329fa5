#!/usr/bin/env python3
"""Writes benign Chinese texts, one per line, for measuring false alarms.

Sources: Debian's Chinese manual pages (manpages-zh), fortunes (fortunes-zh),
the Debian Reference (debian-reference-zh-cn) and, where ../shared is present,
the benign half of COLD and the CValues should-answer questions. Each source
goes to its own file in OUT_DIR (<source>.txt); lines are texts of at least
MIN_HAN Han characters, in a stable order, so the same packages give the same
files. Nothing here is shipped: the files are measurement input.

usage: benign_zh.py OUT_DIR [--shared DIR] [--max-per-source N]
"""
import argparse
import gzip
import json
import os
import re
import sys

MIN_HAN = 6
HAN = re.compile(r"[\u4e00-\u9fff]")
ROFF_ESCAPE = re.compile(r"\\f[BIRP]|\\f\(..|\\[(*][^ ]{0,3}|\\[-&|^e,/]|\\s[-+]?\d")
ANSI = re.compile(r"\x1b\[[0-9;]*m|\[[0-9;]*m")


def han_count(text):
    return len(HAN.findall(text))


def manpages(root="/usr/share/man/zh_CN"):
    """Paragraphs of roff source with the markup removed."""
    for dirpath, _, files in sorted(os.walk(root)):
        for name in sorted(files):
            if not name.endswith(".gz"):
                continue
            try:
                with gzip.open(os.path.join(dirpath, name), "rt", encoding="utf-8",
                               errors="replace") as f:
                    lines = f.read().splitlines()
            except OSError:
                continue
            para = []
            for line in lines + [".PP"]:
                if line.startswith((".", "'")):
                    if para:
                        yield " ".join(para)
                        para = []
                    continue
                para.append(ROFF_ESCAPE.sub("", line).strip())


def fortunes(root="/usr/share/games/fortunes"):
    for name in ("chinese.u8", "tang300.u8", "song100.u8"):
        path = os.path.join(root, name)
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            for block in f.read().split("\n%\n"):
                text = " ".join(ANSI.sub("", l).strip() for l in block.splitlines() if l.strip())
                yield text


def debian_reference(path="/usr/share/debian-reference/debian-reference.zh-cn.txt.gz"):
    if not os.path.exists(path):
        return
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as f:
        para = []
        for line in f.read().splitlines() + [""]:
            if line.strip():
                para.append(line.strip())
            elif para:
                yield " ".join(para)
                para = []


def cold_benign(shared):
    path = os.path.join(shared, "eval", "cold_dev.tsv")
    if not os.path.exists(path):
        return
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 3 and parts[0] == "benign":
                yield parts[2]


def cvalues(shared):
    path = os.path.join(shared, "banks", "cvalues-responsibility-prompts", "prompts.jsonl")
    if not os.path.exists(path):
        return
    with open(path, encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)["prompt"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--shared", default=os.path.join(here, "..", "..", "..", "shared"))
    parser.add_argument("--max-per-source", type=int, default=20000)
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    sources = {
        "manpages-zh": manpages(),
        "fortunes-zh": fortunes(),
        "debian-reference-zh": debian_reference(),
        "cold-benign": cold_benign(args.shared),
        "cvalues": cvalues(args.shared),
    }
    for name, texts in sources.items():
        seen = set()
        n = 0
        with open(os.path.join(args.out_dir, name + ".txt"), "w", encoding="utf-8") as out:
            for text in texts:
                text = " ".join(text.split())
                if han_count(text) < MIN_HAN or text in seen:
                    continue
                seen.add(text)
                out.write(text + "\n")
                n += 1
                if n >= args.max_per_source:
                    break
        print(f"{name}: {n} texts", file=sys.stderr)


if __name__ == "__main__":
    main()
