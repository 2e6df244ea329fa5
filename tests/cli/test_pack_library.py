"""The keyword-library commands through the CLI: pack import (lines, CSV,
.xlsx), pack coverage, pack diff and pack export (read back with openpyxl)."""

import json
import os
import subprocess

import openpyxl
import pytest

CLI = os.environ.get("MENSHEN_CLI", "build/tools/menshen/menshen")


def run(*args, expect=0):
    proc = subprocess.run([CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.returncode == expect, (args, proc.returncode, proc.stderr.decode())
    return proc.stdout.decode()


def lines(text):
    return [json.loads(l) for l in text.splitlines()]


@pytest.fixture
def lists(tmp_path):
    (tmp_path / "map.tsv").write_text(
        "# category → risk\n色情\tA1.6\t2\n赌博\tA1.8\t1\n广告\t-\n*\tA1.8\n", encoding="utf-8")
    (tmp_path / "list.csv").write_bytes(
        "category,term,note\n"
        "色情,淫秽视频,x\n"
        "色情,\"淫穢視頻\",traditional spelling folds to the first\n"
        "赌博,网上赌场,\n"
        "赌博,网上赌场,duplicate\n"
        "赌博,赌,too short\n"
        "赌博,电脑,too common\n"
        "广告,加微信,dropped\n"
        "政治,某某运动,unmapped? no: * maps it\n"
        "赌博,六合彩+开奖,rule\n"
        "赌博,六合彩 ＋ 开奖,the same rule\n"
        "赌博,a+b+c+d+e+f+g+h+i,too many parts\n"
        "赌博\n"
        "色情,\"a \"\"quoted\"\" term\",ok\n".encode("utf-8")
        + b"\xe8\xb5\x8c\xe5\x8d\x9a,\xff\xfe,bad utf-8\n")
    (tmp_path / "benign.txt").write_text("我的电脑坏了。\n今天天气很好。\n", encoding="utf-8")
    (tmp_path / "freq.txt").write_text("天气 5000 n\n网上赌场 3 n\n", encoding="utf-8")
    return tmp_path


def test_import_csv_reports_every_kind_and_builds(lists):
    out = lists / "pack"
    report = lines(run("pack", "import", str(lists / "list.csv"), "-o", str(out), "--name", "demo",
                       "--map", str(lists / "map.tsv"), "--term-column", "term",
                       "--category-column", "category", "--benign", str(lists / "benign.txt"),
                       "--frequency", str(lists / "freq.txt"), "--max-frequency", "1000"))
    summary = report[-1]
    kinds = {}
    for issue in report[:-1]:
        kinds.setdefault(issue["kind"], []).append(issue)
    assert set(kinds) == {"fold_collision", "duplicate", "too_short", "too_common",
                          "dropped_by_mapping", "unsupported_rule", "unreadable"}
    # a+b+c lines are AND rules; the same rule spelled again is a duplicate,
    # one with more parts than a rule takes is reported.
    assert [i["term"] for i in kinds["unsupported_rule"]] == ["a+b+c+d+e+f+g+h+i"]
    assert any(i["term"] == "六合彩 ＋ 开奖" for i in kinds["duplicate"])
    assert summary["rules_written"] == 1 and summary["rules_by_category"] == {"A1.8": 1}
    assert (out / "a1.8-rules.tsv").read_text(encoding="utf-8").splitlines()[-1].startswith(
        "六合彩 + 开奖\t\t1\t")
    assert kinds["fold_collision"][0]["term"] == "淫穢視頻"
    assert kinds["fold_collision"][0]["where"].endswith("list.csv:3")
    assert kinds["duplicate"][0]["detail"].endswith("list.csv:4")
    assert kinds["too_common"][0]["term"] == "电脑"
    assert sorted(i["where"].rsplit(":", 1)[1] for i in kinds["unreadable"]) == ["13", "15"]
    assert summary["entries_written"] == 4
    assert summary["entries_by_category"] == {"A1.6": 2, "A1.8": 2}
    assert summary["benign_lines"] == 2
    assert (out / "a1.6.tsv").read_text(encoding="utf-8").splitlines()[-1] == \
        'a "quoted" term\t\t2\tword'  # all-ASCII terms match as whole words
    built = run("pack", "build", str(out), "-o", str(lists / "demo.mspack"))
    assert "4 terms" in built
    # The imported rule fires only where both parts occur.
    (lists / "texts.txt").write_text("六合彩今晚开奖\n今晚开奖\n", encoding="utf-8")
    scanned = lines(run("scan", "--pack", str(lists / "demo.mspack"), str(lists / "texts.txt")))
    assert [[h.get("kind", "term") for h in d["hits"]] for d in scanned] == [["rule"], []]
    # A folder import wrote is replaced; any other folder is left alone.
    run("pack", "import", str(lists / "list.csv"), "-o", str(out), "--name", "demo",
        "--map", str(lists / "map.tsv"), "--term-column", "term", "--category-column", "category")
    (lists / "mine").mkdir()
    (lists / "mine" / "pack.textproto").write_text('name: "mine"\n')
    run("pack", "import", str(lists / "list.csv"), "-o", str(lists / "mine"), "--name", "x",
        "--category", "A1.8", expect=1)
    run("pack", "import", str(lists / "list.csv"), "-o", str(out), expect=2)


def test_import_lines_and_xlsx(lists):
    (lists / "words.txt").write_text("第一个词\n\n第二个词\r\n", encoding="utf-8")
    summary = lines(run("pack", "import", str(lists / "words.txt"), "-o", str(lists / "p1"),
                        "--name", "p1", "--category", "A4.3"))[-1]
    assert summary["entries_by_category"] == {"A4.3": 2}

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "ignored"
    ws2 = wb.create_sheet("词表")
    ws2.append(["关键词", "类别"])
    ws2.append(["表格里的词", "色情"])
    ws2.append(["另一个词", "赌博"])
    ws2.append([None, "赌博"])
    ws2["A6"] = "跳过一行的词"
    ws2["B6"] = "赌博"
    wb.save(lists / "list.xlsx")
    report = lines(run("pack", "import", str(lists / "list.xlsx"), "--sheet", "词表", "-o",
                       str(lists / "p2"), "--name", "p2", "--map", str(lists / "map.tsv"),
                       "--term-column", "关键词", "--category-column", "类别"))
    assert report[-1]["entries_by_category"] == {"A1.6": 1, "A1.8": 2}
    assert report[0]["kind"] == "unreadable" and report[0]["where"].endswith("list.xlsx:词表:4")
    run("pack", "import", str(lists / "list.xlsx"), "--sheet", "none", "-o", str(lists / "p3"),
        "--name", "p3", "--category", "A1.8", expect=1)
    (lists / "fake.xlsx").write_bytes(b"not a zip")
    run("pack", "import", str(lists / "fake.xlsx"), "-o", str(lists / "p4"), "--name", "p4",
        "--category", "A1.8", expect=1)


def test_coverage_minimums_and_defaults(lists):
    run("pack", "import", str(lists / "list.csv"), "-o", str(lists / "pack"), "--name", "demo",
        "--map", str(lists / "map.tsv"), "--term-column", "term", "--category-column", "category")
    report = json.loads(run("pack", "coverage", str(lists / "pack"), expect=1))
    assert "total" in report["missed"] and "A1.1" in report["missed"]
    assert len([r for r in report["risks"] if r["code"].startswith("A")]) == 31
    (lists / "min.txt").write_text("# low\ntotal 3\n", encoding="utf-8")
    minimums = {r["code"]: 0 for r in report["risks"]}
    (lists / "min.txt").write_text("total 3\n" + "".join(f"{c} 0\n" for c in minimums) +
                                   "A1.6 2\n", encoding="utf-8")
    ok = json.loads(run("pack", "coverage", "--pack", str(lists / "pack"), "--minimums",
                        str(lists / "min.txt")))
    assert ok["met"] and ok["total"] == 5
    defaults = json.loads(run("pack", "coverage"))
    assert defaults["met"] and defaults["total"] >= 10000
    assert "| total |" in run("pack", "coverage", "--markdown")


def test_diff(lists):
    csv = lists / "list.csv"
    run("pack", "import", str(csv), "-o", str(lists / "old"), "--name", "demo", "--map",
        str(lists / "map.tsv"), "--term-column", "term", "--category-column", "category")
    text = csv.read_bytes().replace("网上赌场,\n".encode(), "网上赌场2,\n".encode(), 1)
    (lists / "map.tsv").write_text("色情\tA1.6\t3\n赌博\tA1.8\t1\n广告\t-\n*\tA1.8\n",
                                   encoding="utf-8")
    csv.write_bytes(text)
    run("pack", "import", str(csv), "-o", str(lists / "new"), "--name", "demo", "--version",
        "1.1.0", "--map", str(lists / "map.tsv"), "--term-column", "term", "--category-column",
        "category")
    out = lines(run("pack", "diff", str(lists / "old"), str(lists / "new"), "--json"))
    changes = {(d["change"], d["term"]) for d in out[:-1]}
    assert ("added", "网上赌场2") in changes and ("changed", "淫秽视频") in changes
    assert out[-1]["total"]["added"] >= 1 and out[-1]["new"] == "demo 1.1.0"
    assert "added" in run("pack", "diff", str(lists / "old"), str(lists / "new"))


def test_export_reads_back(lists, tmp_path):
    run("pack", "import", str(lists / "list.csv"), "-o", str(lists / "pack"), "--name", "demo",
        "--map", str(lists / "map.tsv"), "--term-column", "term", "--category-column", "category")
    path = tmp_path / "library.xlsx"
    run("pack", "export", str(lists / "pack"), "-o", str(path))
    first = path.read_bytes()
    run("pack", "export", "--pack", str(lists / "pack"), "-o", str(path))
    assert path.read_bytes() == first  # deterministic
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[0] == "summary"
    sheet = wb[wb.sheetnames[1]]
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["序号", "关键词", "风险类别代码", "风险类别", "一级类别"]
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]
    # The library lists the imported a+b rule as written, beside the terms.
    assert sorted(r[1] for r in rows) == sorted(["淫秽视频", "网上赌场", "某某运动", "电脑",
                                                 'a "quoted" term', "六合彩 + 开奖"])
    assert {r[8] for r in rows} == {"demo"}
    summary = {r[0].value: r[3].value for r in wb["summary"].iter_rows(min_row=2)}
    assert summary == {"A1.6": 2, "A1.8": 4}
    run("pack", "export", str(lists / "pack"), "-o", str(tmp_path / "x.txt"), expect=2)
