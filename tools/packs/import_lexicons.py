#!/usr/bin/python3
"""Builds the imported keyword packs (keyword_packs/lexicon-*) from the openly
licensed lists in ../shared/lexicons, with `menshen pack import`.

    /usr/bin/python3 tools/packs/import_lexicons.py [--cli PATH] [--shared DIR]
        [--work DIR] [--out DIR]

For each source below: the list(s) and a mapping of their categories to risk
codes (tools/packs/maps/*.tsv) go through `menshen pack import`, which drops
duplicates, terms that fold to one key, terms too short, and terms too common:
every candidate is counted on benign text (Chinese manual pages, fortunes and
the Debian Reference from Debian packages; English manual pages), and one
that appears on any benign line, or that jieba's word-frequency list counts
as an everyday word, is not kept. The pack folder is then written whole,
with a README (source, commit, licence, attribution, what was dropped) and a
copy of the source's licence; the folders are never edited by hand: change a
mapping or an option here and run this again. The held-out measurements
(benign and offensive sets in ../shared/eval) go into each README's measured
section through tools/packs/measure_packs.py.

Only lists whose licence allows redistribution are imported; the houbb
dictionary is not (it has no categories to map to risks), nor the unclassified
konsheng categories (see tools/packs/maps/konsheng.tsv).
"""

import argparse
import collections
import glob
import gzip
import json
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MAPS = os.path.join(ROOT, "tools", "packs", "maps")
JIEBA_DICT = "/usr/lib/python3/dist-packages/jieba/dict.txt"
# A word jieba counts this often or more is an everyday word: 北京 and 然后
# are far above, and so are place names (广西 1727, 河南人 127) and plain words
# (眼镜 731, 起诉 530) that the lists hold; a few risky words go too (推翻
# 1726, 台独 397), which our own packs carry with context.
MAX_FREQUENCY = 100
RETRIEVED = "2026-12-05"

# Our own packs: an imported term they already hold (folded) is left out, so
# no text is reported twice. Each source also excludes the ones imported before
# it, which is why the list with the weakest provenance (konsheng) comes last.
OWN_PACKS = ["risk-a1", "risk-a2", "risk-a3", "risk-a4", "risk-a5", "pii-zh", "secrets",
             "prompt-injection", "abuse-zh", "abuse-en"]

SOURCES = [
    {
        "name": "lexicon-fwwdn",
        "lists": ["fwwdn-sensitive-stop-words/lexicon.tsv", "fwwdn_porn_zh.txt"],
        "args": ["--term-column", "term", "--category-column", "category"],
        "map": "fwwdn.tsv",
        "license": "Apache-2.0",
        "licence_file": "fwwdn-sensitive-stop-words/LICENSE",
        "source_md": "fwwdn-sensitive-stop-words/SOURCE.md",
        "repository": "https://github.com/fwwdn/sensitive-stop-words",
        "commit": "a7d06bb1c321e669943b6841570d9da6dad8ce2b",
        "attribution": "Copyright 2017-present fwwdn, Apache License 2.0. Modified: filtered, "
                       "mapped to risk codes and written as a menshen pack.",
        "caveat": "The words were collected from the internet; plain political names and "
                  "generic words are removed by the benign-text filter.",
        "description": "Chinese terms imported from fwwdn/sensitive-stop-words (Apache-2.0): "
                       "ads and solicitation, political names, guns and explosives, "
                       "pornography; filtered on benign text, flag only (severity 1).",
    },
    {
        "name": "lexicon-ldnoobw",
        "lists": ["ldnoobw_zh.txt", "ldnoobw_en.txt"],
        "args": [],
        "map": "ldnoobw.tsv",
        "license": "CC-BY-4.0",
        "licence_file": "licenses/CC-BY-4.0.txt",
        "source_md": "ldnoobw_zh.txt.SOURCE.md",
        "repository": "https://github.com/LDNOOBW/List-of-Dirty-Naughty-Obscene-and-Otherwise-Bad-Words",
        "commit": "5faf2ba42d7b1c0977169ec3611df25a3c08eb13",
        "attribution": "\"List of Dirty, Naughty, Obscene, and Otherwise Bad Words\" (c) 2012-2020 "
                       "Shutterstock, Inc., licensed under CC BY 4.0. Modified: filtered on "
                       "benign text and mapped to risk codes.",
        "caveat": "Profanity lists; single characters and everyday words are removed.",
        "description": "Chinese and English obscene words imported from the LDNOOBW lists "
                       "(CC-BY-4.0), filtered on benign text, flag only (severity 1).",
    },
    {
        "name": "lexicon-surge-ai",
        "lists": ["surge_ai_profanity_en.csv"],
        # `+` stands for a letter here (b1+ch), not for "together with".
        "args": ["--term-column", "text", "--category-column", "category_1", "--plus", "literal"],
        "map": "surge-ai.tsv",
        "license": "MIT",
        "licence_file": "licenses/MIT-surge-ai.txt",
        "source_md": "surge_ai_profanity_en.csv.SOURCE.md",
        "repository": "https://github.com/surge-ai/profanity",
        "commit": "77dabf36454fd9b0f85c777c2808d416bc41f797",
        "attribution": "Copyright (c) 2021 Surge AI, MIT licence (LICENSE in this folder).",
        "caveat": "English profanity with spelling variants; whole-word matching.",
        "description": "English profanity and slurs imported from surge-ai/profanity (MIT): "
                       "slurs against groups (A2, severity 2), obscenity and insults (flag "
                       "only); whole words, filtered on benign text.",
    },
    {
        "name": "lexicon-konsheng",
        "lists": ["konsheng-sensitive-lexicon/lexicon.tsv"],
        "args": ["--term-column", "term", "--category-column", "category"],
        "map": "konsheng.tsv",
        "license": "MIT",
        "licence_file": "konsheng-sensitive-lexicon/LICENSE",
        "source_md": "konsheng-sensitive-lexicon/SOURCE.md",
        "repository": "https://github.com/konsheng/Sensitive-lexicon",
        "commit": "5a8da94c61c160e203a6b2fcfafbea642404d50c",
        "attribution": "Copyright (c) 2024~2099 Konsheng, MIT licence (LICENSE in this folder).",
        "caveat": "The MIT grant covers konsheng's compilation; several of its files were "
                  "collected from other lists whose authors gave no licence (SOURCE.md). "
                  "Only the categories with a clear risk are imported (tools/packs/maps/konsheng.tsv).",
        "description": "Chinese terms imported from konsheng/Sensitive-lexicon (MIT): "
                       "subversion, cults and terrorism, drugs and other illegal trade, "
                       "political names, pornography, COVID-19 rumours; filtered on benign "
                       "text, flag only (severity 1).",
    },
]


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def benign_files(work, shared):
    """Benign text a line a unit: Chinese from Debian packages, English manual pages."""
    os.makedirs(work, exist_ok=True)
    zh = os.path.join(work, "benign-zh")
    if not glob.glob(os.path.join(zh, "manpages-zh.txt")):
        run(["/usr/bin/python3", os.path.join(ROOT, "tools", "corpus", "benign_zh.py"), zh,
             "--shared", "/nonexistent"])
    files = [os.path.join(zh, f) for f in ("manpages-zh.txt", "fortunes-zh.txt",
                                            "debian-reference-zh.txt")
             if os.path.exists(os.path.join(zh, f))]
    en = os.path.join(work, "benign-en.txt")
    if not os.path.exists(en):
        with open(en, "w", encoding="utf-8") as out:
            for page in sorted(glob.glob("/usr/share/man/man1/*.gz")):
                try:
                    text = gzip.open(page, "rt", encoding="utf-8", errors="replace").read()
                except OSError:
                    continue
                for line in text.splitlines():
                    line = re.sub(r"\\f[BIRP]|\\-|\\\(..", "", line).strip()
                    if line and not line.startswith((".", "'")):
                        out.write(line + "\n")
    files.append(en)
    # The benign half of the COLD dev set (social topics: regions, gender,
    # race, which manual pages lack): its even lines filter, its odd lines stay
    # held out for measuring (tools/packs/measure_packs.py).
    # Our own benign sentences (the known false alarms of issue 15 among them).
    files.append(os.path.join(ROOT, "tests", "data", "benign_zh.txt"))
    cold = os.path.join(shared, "eval", "cold_dev.tsv")
    if os.path.exists(cold):
        texts = [l.rstrip("\n").split("\t")[2] for l in open(cold, encoding="utf-8")
                 if l.startswith("benign\t") and l.count("\t") == 2]
        path = os.path.join(work, "cold-benign-filter.txt")
        with open(path, "w", encoding="utf-8") as out:
            out.writelines(t + "\n" for t in texts[0::2])
        files.append(path)
    return files


def readme(src, summary, shared):
    by_risk = summary.get("entries_by_category") or {}
    g = lambda k: summary.get(k, 0)
    rows = "\n".join(f"| {code} | {n} |" for code, n in sorted(by_risk.items()))
    return f"""# {src['name']}

{src['description']}

**Generated — do not edit.** Made by `tools/packs/import_lexicons.py` with `menshen pack
import` from a third-party list; change the mapping (`tools/packs/maps/{src['map']}`) or the
script and run it again.

## Source and licence
- Source: {src['repository']}
- Commit: {src['commit']}
- Licence: {src['license']} (`LICENSE` in this folder)
- Attribution: {src['attribution']}
- Read from: `../shared/lexicons/` ({', '.join(src['lists'])}; provenance in
  `{src['source_md']}` there)
- Caveat: {src['caveat']}

## What was kept
Every candidate was counted on benign text: Chinese manual pages, fortunes and the Debian
Reference from Debian packages, English manual pages, our own benign sentences
(`tests/data/benign_zh.txt`), and the even lines of the benign half of
the COLD dev set (`../shared/eval/cold_dev.tsv`; its odd lines are held out for the measured
rates below). A term on any of those lines, or one that jieba's frequency list counts
{MAX_FREQUENCY} times or more, was dropped as too common.

| rows read | kept | duplicates | fold to a kept term | in an earlier pack | too short or no letters | too common | category dropped | unreadable | `a+b` lines as AND rules (not readable as one) |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
| {g('rows_read')} | {g('entries_written')} | {g('duplicates')} | {g('fold_collisions')} | {g('in_other_packs')} | {g('too_short') + g('no_letters')} | {g('too_common')} | {g('dropped_by_mapping') + g('unmapped_category')} | {g('unreadable')} | {g('rules_written')} ({g('unsupported_rules')}) |

Terms already in our own packs or in an imported pack made before this one (folded) are left
out, so a text is never reported twice for one word. All-ASCII terms match as whole words.

| risk | entries |
|---|---:|
{rows}

## Measured
<!-- measured:begin -->
(run tools/packs/measure_packs.py)
<!-- measured:end -->
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cli", default=os.path.join(ROOT, "build", "tools", "menshen", "menshen"))
    parser.add_argument("--shared", default=os.environ.get("MENSHEN_SHARED",
                                                           os.path.join(ROOT, "..", "..", "shared")))
    parser.add_argument("--work", default=os.path.join(ROOT, "build", "lexicon-import"))
    parser.add_argument("--out", default=os.path.join(ROOT, "keyword_packs"))
    args = parser.parse_args()
    lex = os.path.join(args.shared, "lexicons")
    if not os.path.isdir(lex):
        sys.exit(f"import_lexicons: no {lex}; pass --shared")
    benign = benign_files(args.work, args.shared)
    done = []
    for src in SOURCES:
        out = os.path.join(args.out, src["name"])
        issues = os.path.join(args.work, src["name"] + ".issues.jsonl")
        cmd = [args.cli, "pack", "import", *[os.path.join(lex, l) for l in src["lists"]],
               "-o", out, "--name", src["name"], "--map", os.path.join(MAPS, src["map"]),
               *src["args"], "--frequency", JIEBA_DICT, "--max-frequency", str(MAX_FREQUENCY),
               "--issues", issues, "--license", src["license"], "--description",
               src["description"], "--source-url", src["repository"], "--retrieved", RETRIEVED,
               "--source-notes", f"commit {src['commit']}; {src['attribution']}"]
        for f in benign:
            cmd += ["--benign", f]
        for p in OWN_PACKS:
            cmd += ["--exclude", os.path.join(args.out, p)]
        for p in done:
            cmd += ["--exclude", p]
        done.append(out)
        summary = json.loads(run(cmd, stdout=subprocess.PIPE, text=True).stdout.splitlines()[-1])
        shutil.copyfile(os.path.join(lex, src["licence_file"]), os.path.join(out, "LICENSE"))
        path = os.path.join(out, "README.md")
        text = readme(src, summary, args.shared)
        if os.path.exists(path):
            # Keep the measured section tools/packs/measure_packs.py wrote.
            old = re.search(r"<!-- measured:begin -->.*?<!-- measured:end -->",
                            open(path, encoding="utf-8").read(), re.S)
            if old:
                text = re.sub(r"<!-- measured:begin -->.*?<!-- measured:end -->",
                              lambda m: old.group(0), text, flags=re.S)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        changelog = os.path.join(out, "CHANGELOG.md")
        if not os.path.exists(changelog):
            # The first entry; later imports add theirs with `menshen pack diff` counts.
            with open(changelog, "w", encoding="utf-8") as f:
                f.write(f"# Changelog — {src['name']}\n\n## 1.0.0 — {RETRIEVED}\n\n"
                        f"- First import (issue 15) from {src['repository']} at {src['commit']}: "
                        f"{summary.get('entries_written', 0)} entries kept of "
                        f"{summary.get('rows_read', 0)} rows (README.md).\n")
        run([args.cli, "pack", "build", out, "-o", os.path.join(args.work, src["name"] + ".mspack")],
            stdout=subprocess.DEVNULL)
        kinds = collections.Counter(json.loads(l)["kind"] for l in open(issues, encoding="utf-8"))
        print(f"{src['name']}: kept {summary.get('entries_written', 0)} of "
              f"{summary.get('rows_read', 0)} rows; dropped {dict(kinds)}")


if __name__ == "__main__":
    main()
