#!/usr/bin/python3
"""Recall on generated evasions of shipped terms, per evasion type (issue 20).

    /usr/bin/python3 tools/packs/measure_evasions.py [--cli PATH] [--pack NAME]...
        [--min-severity N] [--flags pinyin,homophone,leet] [--per-type N] [--json FILE]

For every literal term of the named packs (default: abuse-zh, abuse-en and the
risk packs; allow entries, regexes and rules left out) with at least
--min-severity, writes the evasions a user types to get past a keyword filter:

  pinyin     full pinyin of a Han term of 2-6 characters (傻逼 -> shabi)
  initials   pinyin initials of a Han term of 3-6 characters (操你妈 -> cnm)
  homophone  the first character that has one replaced by its most frequent
             homophone among the common characters (GB 2312 level 1, toneless
             Unihan kMandarin, ranked by kFrequency)
  leet       a Latin term with leet digits (a4 e3 i1 o0 s5 t7)
  spaced     a space between every letter or character
  variant    the first character with a Unihan semantic or Z variant outside
             GB 2312 replaced by it (冰 -> 氷)
  noise      for terms mixing Latin letters and Han characters, " ", "·" or
             "**" where they meet (K粉 -> K 粉)

Each evasion is put in a carrier sentence and scanned once with `menshen scan
--jsonl --pack P` (all packs together). It counts as caught when a hit reports
the base term (variants report their base) and as exact when that hit's span is
exactly the evasion's bytes (a hit on another term with the same evasion, 傻屄
for `shabi` of 傻逼, counts). Readings and variants come from Debian's
unicode-data (Unihan); nothing is downloaded. Deterministic: same packs, same
numbers.

--flags adds variant flags to every non-allow term of a temporary copy of the
packs (their default_flags and each entry's own flags), to measure what the
flags would earn before a pack sets them. Output: a Markdown table on stdout.
"""

import argparse
import bz2
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UNIHAN = "/usr/share/unicode"
DEFAULT_PACKS = ["abuse-zh", "abuse-en", "risk-a1", "risk-a2", "risk-a3", "risk-a4", "risk-a5"]
TYPES = ["pinyin", "initials", "homophone", "leet", "spaced", "variant", "noise"]
LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"}


def is_han(ch):
    return "\u3400" <= ch <= "\u9fff" or "\U00020000" <= ch <= "\U0002ffff"


def unihan(name, fields):
    """{char: {field: value}} for the fields of one Unihan file."""
    out = collections.defaultdict(dict)
    with bz2.open(os.path.join(UNIHAN, name), "rt", encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            code, field, value = line.rstrip("\n").split("\t", 2)
            if field in fields:
                out[chr(int(code[2:], 16))][field] = value
    return out


def toneless(reading):
    return "".join(c for c in unicodedata.normalize("NFD", reading)
                   if not unicodedata.combining(c)).replace("ü", "v")


class Tables:
    def __init__(self):
        readings = unihan("Unihan_Readings.txt.bz2", {"kMandarin"})
        freq = unihan("Unihan_DictionaryLikeData.txt.bz2", {"kFrequency"})
        variants = unihan("Unihan_Variants.txt.bz2",
                          {"kSemanticVariant", "kZVariant", "kSpecializedSemanticVariant",
                           "kTraditionalVariant", "kSimplifiedVariant"})
        self.reading = {c: toneless(v["kMandarin"].split()[0]) for c, v in readings.items()}
        common = []
        for hi in range(0xB0, 0xD8):
            for lo in range(0xA1, 0xFF):
                try:
                    common.append(bytes([hi, lo]).decode("gb2312"))
                except UnicodeDecodeError:
                    pass
        self.common = set(common)
        rank = lambda c: int(freq.get(c, {}).get("kFrequency", "9"))
        by_reading = collections.defaultdict(list)
        for c in common:
            if c in self.reading:
                by_reading[self.reading[c]].append(c)
        self.homophones = {r: sorted(cs, key=lambda c: (rank(c), c)) for r, cs in by_reading.items()}
        self.variant = {}
        for c, v in variants.items():
            if c not in self.common:
                continue
            trad = {chr(int(u[2:].split("<")[0], 16))
                    for k in ("kTraditionalVariant", "kSimplifiedVariant")
                    for u in v.get(k, "").split()}
            for k in ("kSemanticVariant", "kZVariant", "kSpecializedSemanticVariant"):
                for u in v.get(k, "").split():
                    ch = chr(int(u[2:].split("<")[0], 16))
                    if ch != c and ch not in self.common and ch not in trad:
                        self.variant.setdefault(c, ch)

    def pinyin(self, term):
        if not all(c in self.reading for c in term):
            return None
        return [self.reading[c] for c in term]


def evasions(term, t):
    """{type: evasion} for one term."""
    out = {}
    han = [c for c in term if is_han(c)]
    latin = re.fullmatch(r"[a-z][a-z ]*[a-z]", term.lower()) is not None
    if han and len(han) == len(term) and 2 <= len(term) <= 6:
        py = t.pinyin(term)
        if py:
            full = "".join(py)
            if len(full) >= 4:
                out["pinyin"] = full
            if len(term) >= 3:
                out["initials"] = "".join(p[0] for p in py)
        for i, c in enumerate(term):
            r = t.reading.get(c)
            alt = [h for h in t.homophones.get(r, []) if h != c]
            if alt:
                out["homophone"] = term[:i] + alt[0] + term[i + 1:]
                break
        for i, c in enumerate(term):
            if c in t.variant:
                out["variant"] = term[:i] + t.variant[c] + term[i + 1:]
                break
    if han and len(term) >= 2:
        out["spaced"] = " ".join(term)
    if latin and 3 <= len(term.replace(" ", "")) <= 24:
        word = term.lower()
        if " " not in word:
            out["spaced"] = " ".join(word)
        leet = "".join(LEET.get(c, c) for c in word)
        if leet != word:
            out["leet"] = leet
    if han and any(c.isascii() and c.isalpha() for c in term):
        for i in range(1, len(term)):
            a, b = term[i - 1], term[i]
            if (a.isascii() and a.isalpha() and is_han(b)) or (is_han(a) and b.isascii() and b.isalpha()):
                out["noise"] = term[:i] + "·" + term[i:]
                break
    return out


def read_terms(pack_dir, min_severity):
    """[(term, flags)] of a pack's term files, allow entries left out."""
    manifest = open(os.path.join(pack_dir, "pack.textproto"), encoding="utf-8").read()
    terms = []
    for block in re.findall(r"term_files\s*\{(.*?)\}", manifest, re.S):
        path = re.search(r'path:\s*"([^"]+)"', block).group(1)
        sev = re.search(r"default_severity:\s*(\d+)", block)
        flags = re.search(r'default_flags:\s*"([^"]*)"', block)
        dsev = int(sev.group(1)) if sev else 0
        dflags = flags.group(1) if flags else ""
        for line in open(os.path.join(pack_dir, path), encoding="utf-8"):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            cols = line.split("\t") + ["", "", ""]
            f = cols[3] or dflags
            if "allow" in f.split(","):
                continue
            s = int(cols[2]) if cols[2].strip().isdigit() else dsev
            if s >= min_severity:
                terms.append(cols[0])
    return terms


def with_flags(pack_dir, out_dir, extra):
    """Copies a pack adding `extra` flags to every non-allow term."""
    shutil.copytree(pack_dir, out_dir)
    path = os.path.join(out_dir, "pack.textproto")
    manifest = open(path, encoding="utf-8").read()

    def add(block):
        body = block.group(0)
        if "default_flags" in body:
            if '"allow"' in body:
                return body
            return re.sub(r'default_flags:\s*"([^"]*)"',
                          lambda m: f'default_flags: "{",".join(filter(None, [m.group(1), extra]))}"', body)
        return body.replace("}", f'  default_flags: "{extra}"\n}}')
    manifest = re.sub(r"term_files\s*\{.*?\}", add, manifest, flags=re.S)
    open(path, "w", encoding="utf-8").write(manifest)
    for name in os.listdir(out_dir):
        if not name.endswith(".tsv"):
            continue
        p = os.path.join(out_dir, name)
        lines = []
        for line in open(p, encoding="utf-8"):
            cols = line.rstrip("\n").split("\t")
            if len(cols) >= 4 and cols[3] and not line.startswith("#") and "allow" not in cols[3]:
                cols[3] = cols[3] + "," + extra
            lines.append("\t".join(cols))
        open(p, "w", encoding="utf-8").write("\n".join(lines) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cli", default=os.path.join(ROOT, "build", "tools", "menshen", "menshen"))
    parser.add_argument("--pack", action="append", default=[])
    parser.add_argument("--min-severity", type=int, default=1)
    parser.add_argument("--flags", default="")
    parser.add_argument("--per-type", type=int, default=0, help="at most N evasions per type")
    parser.add_argument("--show-misses", type=int, default=0)
    parser.add_argument("--json")
    args = parser.parse_args()
    packs = args.pack or DEFAULT_PACKS
    tables = Tables()
    work = tempfile.mkdtemp(prefix="menshen-evasions-")
    pack_args, cases = [], []
    for name in packs:
        src = os.path.join(ROOT, "keyword_packs", name)
        for term in read_terms(src, args.min_severity):
            for kind, text in evasions(term, tables).items():
                cases.append((kind, term, text))
        if args.flags:
            dst = os.path.join(work, name)
            with_flags(src, dst, args.flags)
            pack_args += ["--pack", dst]
        else:
            pack_args += ["--pack", src]
    if args.per_type:
        seen = collections.Counter()
        kept = []
        for c in cases:
            if seen[c[0]] < args.per_type:
                seen[c[0]] += 1
                kept.append(c)
        cases = kept
    lines = []
    for i, (kind, term, text) in enumerate(cases):
        han = any(is_han(c) for c in text)
        prefix = "他说" if han else "he said "
        suffix = "这种话" if han else " again"
        lines.append(json.dumps({"id": str(i), "text": prefix + text + suffix}, ensure_ascii=False))
        cases[i] = (kind, term, text, len(prefix.encode()), len(prefix.encode()) + len(text.encode()))
    proc = subprocess.run([args.cli, "scan", "--jsonl", *pack_args], input="\n".join(lines) + "\n",
                          capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        sys.exit(f"measure_evasions: scan failed: {proc.stderr.strip()}")
    decisions = {}
    for line in proc.stdout.splitlines():
        d = json.loads(line)
        decisions[d.get("id")] = d
    # Terms that share an evasion (傻逼, 傻屄 and 煞笔 are all `shabi`): a hit on
    # any of them is right.
    same = collections.defaultdict(set)
    for kind, term, text, _, _ in cases:
        same[(kind, text)].add(term.lower())
    stats = collections.defaultdict(lambda: [0, 0, 0])
    misses = collections.defaultdict(list)
    for i, (kind, term, text, start, end) in enumerate(cases):
        hits = [h for h in decisions.get(str(i), {}).get("hits", []) if h.get("category") != "X5"]
        caught = [h for h in hits if h.get("term", "").lower() in same[(kind, text)]]
        s = stats[kind]
        s[0] += 1
        if caught:
            s[1] += 1
            if any(h["start"] == start and h["end"] == end for h in caught):
                s[2] += 1
        else:
            misses[kind].append(f"{term} -> {text}")
    print(f"Packs: {', '.join(packs)}; terms of severity >= {args.min_severity}; "
          f"flags added: {args.flags or 'none (as shipped)'}\n")
    print("| evasion | cases | caught | exact span |")
    print("|---|---:|---:|---:|")
    for kind in TYPES:
        if kind in stats:
            n, c, e = stats[kind]
            print(f"| {kind} | {n} | {c} = {100.0 * c / n:.1f} % | {e} = {100.0 * e / n:.1f} % |")
    for kind in TYPES:
        for m in misses[kind][:args.show_misses]:
            print(f"  missed {kind}: {m}", file=sys.stderr)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({k: {"cases": v[0], "caught": v[1], "exact": v[2]} for k, v in stats.items()},
                      f, indent=1)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
