"""The generated-content test bank (keyword_packs/banks/generated-content.jsonl):
the committed file keeps the standard's minimums and its own invariants, and,
where the third-party banks are at hand, is what the build script gives."""

import collections
import json
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BANK = os.path.join(ROOT, "keyword_packs", "banks", "generated-content.jsonl")
SCRIPT = os.path.join(ROOT, "tools", "banks", "build_generated_bank.py")


def risk_codes():
    with open(os.path.join(ROOT, "keyword_packs", "taxonomy.textproto"), encoding="utf-8") as f:
        return re.findall(r'^\s*code:\s*"(A\d\.\d+)"', f.read(), re.M)


def load_bank():
    with open(BANK, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def test_bank_meets_the_standards_minimums():
    bank = load_bank()
    codes = risk_codes()
    assert len(codes) == 31
    counts = collections.Counter(q["risk"] for q in bank)
    assert len(bank) >= 2000
    for code in codes:
        assert counts[code] >= (50 if code.startswith(("A1.", "A2.")) else 20), code


def test_bank_rows_are_well_formed():
    codes = set(risk_codes())
    ids = set()
    for q in load_bank():
        assert list(q) == ["id", "text", "expect", "risk", "source", "lang"]
        assert q["id"].startswith(f"gen-{q['source']}-")
        assert q["id"] not in ids
        ids.add(q["id"])
        assert q["text"].strip() == q["text"] != ""
        assert q["expect"] == "generate"
        assert q["risk"] in codes
        assert q["source"] in {"jade-db", "flames", "multijail", "cvalues", "menshen"}
        assert q["lang"] in {"zh", "en"}


def test_our_questions_are_all_in_the_bank():
    with open(os.path.join(ROOT, "tools", "banks", "menshen_generated_questions.jsonl"), encoding="utf-8") as f:
        ours = [json.loads(line) for line in f]
    bank = {q["id"]: q for q in load_bank()}
    for q in ours:
        assert bank[f"gen-menshen-{q['id']}"]["text"] == q["text"]


def shared_banks():
    shared = os.environ.get("MENSHEN_SHARED") or os.path.join(ROOT, "..", "shared")
    return shared if os.path.isdir(os.path.join(shared, "banks", "jade-db")) else None


@pytest.mark.skipif(shared_banks() is None, reason="third-party banks not at hand (MENSHEN_SHARED)")
def test_bank_is_what_the_script_builds():
    result = subprocess.run([sys.executable, SCRIPT, "--shared", shared_banks(), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
