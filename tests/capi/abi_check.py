#!/usr/bin/python3
"""The ABI check: compares the C ABI as built with the committed baseline.

The ABI is described as lines of facts:
  symbol NAME                 a symbol libmenshen.so exports (nm -D)
  function PROTOTYPE          each MENSHEN_API declaration of menshen.h, spaces normalised
  sizeof / offsetof / enum    struct layouts and enum values, printed by abi_layout
A baseline line that is gone or changed is an ABI break; a new line is an
addition, which the ABI allows but which must be recorded in the baseline on
purpose. Either fails the check, naming the lines.

  abi_check.py --lib libmenshen.so --header menshen.h --layout ./abi_layout \\
               --baseline capi/menshen.abi [--update]
"""
import argparse
import re
import subprocess
import sys


def symbols(lib):
    out = subprocess.run(["nm", "-D", "--defined-only", lib], check=True,
                         capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3:
            names.add(parts[2].split("@")[0])
    return ["symbol " + n for n in sorted(names)]


def functions(header):
    text = open(header, encoding="utf-8").read()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"\\\n", " ", text)                      # join continued lines
    text = re.sub(r"^\s*#.*$", " ", text, flags=re.M)        # drop directives
    lines = []
    for decl in re.findall(r"MENSHEN_API\s+([^;]*);", text):
        lines.append("function " + " ".join(decl.replace("*", " * ").split())
                     .replace(" ,", ",").replace("( ", "(").replace(" )", ")"))
    return sorted(lines)


def layout(program):
    out = subprocess.run([program], check=True, capture_output=True, text=True).stdout
    return out.splitlines()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", required=True)
    ap.add_argument("--header", required=True)
    ap.add_argument("--layout", required=True)
    ap.add_argument("--baseline", required=True)
    ap.add_argument("--update", action="store_true", help="rewrite the baseline")
    args = ap.parse_args()

    current = symbols(args.lib) + functions(args.header) + layout(args.layout)
    if args.update:
        with open(args.baseline, "w", encoding="utf-8") as f:
            f.write("# The C ABI baseline: regenerate with tests/capi/abi_check.py --update\n")
            f.write("# (see docs/capi.md). Lines may be added, never removed or changed.\n")
            f.write("\n".join(current) + "\n")
        print(f"wrote {len(current)} lines to {args.baseline}")
        return 0

    baseline = [l for l in open(args.baseline, encoding="utf-8").read().splitlines()
                if l and not l.startswith("#")]
    now = set(current)
    was = set(baseline)
    broken = [l for l in baseline if l not in now]
    added = [l for l in current if l not in was]
    # An appended field grows its struct: the old sizeof line is then expected
    # to change, but only together with a new offsetof line for that struct.
    grown = {l.split()[1] for l in added if l.startswith("offsetof ")}
    grown = {s.split(".")[0] for s in grown}
    breaks = [l for l in broken
              if not (l.startswith("sizeof ") and l.split()[1] in grown)]
    for l in breaks:
        print("ABI BREAK, baseline line gone or changed:", l)
    for l in added:
        print("ABI addition not in the baseline:", l)
    if breaks:
        print("The C ABI changed incompatibly. Restore it, or (for a new major version) "
              "update the baseline deliberately.")
        return 1
    if added:
        print("Additions are allowed: record them with --update and commit the baseline.")
        return 1
    print(f"C ABI matches the baseline ({len(baseline)} facts)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
