"""menshen.dask: the corpus audit on a Dask LocalCluster of worker processes
equals the single-process `menshen corpus audit` on the same data."""
import ctypes
import ctypes.util
import gzip
import json
import os
import subprocess

import pytest

distributed = pytest.importorskip("distributed")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _cli():
    cli = os.environ.get("MENSHEN_CLI", os.path.join(ROOT, "build", "tools", "menshen", "menshen"))
    if not os.path.exists(cli):
        pytest.skip("the menshen CLI is not built (set MENSHEN_CLI)")
    return cli


def _zstd(data: bytes) -> bytes:
    lib = ctypes.CDLL(ctypes.util.find_library("zstd") or "libzstd.so.1")
    lib.ZSTD_compressBound.restype = ctypes.c_size_t
    lib.ZSTD_compress.restype = ctypes.c_size_t
    lib.ZSTD_compress.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p,
                                  ctypes.c_size_t, ctypes.c_int]
    bound = lib.ZSTD_compressBound(ctypes.c_size_t(len(data)))
    out = ctypes.create_string_buffer(bound)
    n = lib.ZSTD_compress(out, bound, data, len(data), 3)
    return out.raw[:n]


def _corpus(base):
    corpus = base / "corpus"
    (corpus / "forum").mkdir(parents=True)
    (corpus / "web").mkdir()
    lines = []
    for i in range(1500):
        if i % 13 == 0:
            lines.append(f"出售冰毒 联系我 {i}")
        elif i % 97 == 0:
            lines.append("")
        else:
            lines.append(f"an ordinary sentence about the weather, number {i} " + "x" * (i % 40))
    (corpus / "web" / "a.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    # Invalid UTF-8 and a line over --max-bytes.
    (corpus / "web" / "b.txt").write_bytes(b"caf\xc3 ok\n\xff\xfe bad bytes \xe5\x87\xba\xe5\x94\xae"
                                           b"\xe5\x86\xb0\xe6\xaf\x92\n" + b"y" * 5000 + b"\n"
                                           b"last line without newline")
    records = []
    for i in range(800):
        site = ["alpha", "beta", "gamma"][i % 3]
        text = f"出售冰毒 {i}" if i % 7 == 0 else f"hello from {site} {i}"
        records.append(json.dumps({"text": text, "site": site}, ensure_ascii=False))
    records[5] = "{broken json"
    records[9] = json.dumps({"site": "alpha", "body": "no text"})
    data = ("\n".join(records) + "\n").encode("utf-8")
    (corpus / "forum" / "chat.jsonl.gz").write_bytes(gzip.compress(data, mtime=0))
    (corpus / "forum" / "more.jsonl.zst").write_bytes(_zstd(data[: len(data) // 2]
                                                           .rsplit(b"\n", 1)[0] + b"\n"))
    (corpus / "forum" / "plain.jsonl").write_bytes(data[len(data) // 2:].split(b"\n", 1)[1])
    good = gzip.compress(b"fine\n" * 100, mtime=0)
    (corpus / "forum" / "truncated.txt.gz").write_bytes(good[: len(good) // 2])
    return corpus


def _run_cli(base, args):
    out = base / ("cli-" + "-".join(a.strip("-:") for a in args if not a.startswith("corpus")))
    proc = subprocess.run([_cli(), "corpus", "audit", "corpus", "-o", str(out), "--threads", "2",
                           *args], cwd=base, capture_output=True, text=True)
    assert proc.returncode in (0, 1), proc.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    samples = [json.loads(l) for l in (out / "review.jsonl").read_text(encoding="utf-8").splitlines()]
    bad = [json.loads(l) for l in (out / "bad.jsonl").read_text(encoding="utf-8").splitlines()]
    return summary, samples, bad


def _comparable(summary, samples, bad):
    """Everything but the wording of error messages, which comes from
    different parsers and decompressors."""
    summary = json.loads(json.dumps(summary))
    for s in summary["sources"]:
        s["error"] = bool(s["error"])
    summary["file_errors"] = [e["file"] for e in summary["file_errors"]]
    bad = [{k: v for k, v in b.items() if k != "detail"} for b in bad]
    return summary, samples, bad


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster
    env = os.environ.copy()
    path = os.path.join(ROOT, "bindings", "python")
    os.environ["PYTHONPATH"] = path + os.pathsep + env.get("PYTHONPATH", "")
    try:
        with LocalCluster(n_workers=3, threads_per_worker=2, processes=True,
                          dashboard_address=None, silence_logs=40) as local:
            with Client(local) as client:
                yield client
    finally:
        os.environ.clear()
        os.environ.update(env)


@pytest.mark.parametrize("args", [
    ["--max-bytes", "4096", "--sample-rate", "0.2", "--seed", "11"],
    ["--max-bytes", "4096", "--by", "field:site", "--sample", "7", "--seed", "3"],
    ["--max-bytes", "4096", "--by", "dir", "--threshold", "0.5"],
])
def test_cluster_equals_cli(tmp_path, cluster, args):
    import menshen.dask
    _corpus(tmp_path)
    expected = _comparable(*_run_cli(tmp_path, args))
    options = {"max_bytes": int(args[1])}
    for name, value in zip(args[2::2], args[3::2]):
        key = name[2:].replace("-", "_")
        options[key] = value if key == "by" else float(value) if "." in value else int(value)
    cwd = os.getcwd()
    os.chdir(tmp_path)  # sources named as the CLI names them; workers get the same paths
    try:
        # Workers read absolute paths only if told so: run from the corpus's parent.
        for workers in (cluster, None):
            result = menshen.dask.audit(["corpus"], workers, **options)
            got = _comparable(result.summary, result.samples, result.bad)
            assert got[0] == expected[0]
            assert got[1] == expected[1]
            assert got[2] == expected[2]
    finally:
        os.chdir(cwd)
    summary = expected[0]
    assert int(summary["documents"]) > 1500
    assert summary["file_errors"] == ["corpus/forum/truncated.txt.gz"]
    assert len(expected[1]) > 0


def test_cluster_writes_the_same_reports(tmp_path, cluster):
    """With `output`, a cluster's audit leaves the files `corpus audit` leaves:
    the review sheet and the HTML report are the same bytes."""
    import menshen.dask
    _corpus(tmp_path)
    (tmp_path / "corpus" / "forum" / "truncated.txt.gz").unlink()  # error wording differs
    args = ["--sample-rate", "0.3", "--seed", "5"]
    _run_cli(tmp_path, args)
    cli_out = tmp_path / "cli-sample-rate-0.3-seed-5"
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        menshen.dask.audit(["corpus"], cluster, sample_rate=0.3, seed=5, output="dask-out",
                           menshen_cli=_cli())
    finally:
        os.chdir(cwd)
    dask_out = tmp_path / "dask-out"
    for name in ("review.xlsx", "report.html", "review.jsonl"):
        assert (dask_out / name).read_bytes() == (cli_out / name).read_bytes(), name
    assert (dask_out / "summary.md").read_text(encoding="utf-8").startswith("# Corpus audit")
    with pytest.raises(RuntimeError, match="no menshen CLI"):
        env = os.environ.pop("MENSHEN_CLI", None)
        path = os.environ.get("PATH", "")
        os.environ["PATH"] = ""
        try:
            menshen.dask.audit([str(tmp_path / "corpus")], None, output=str(tmp_path / "x"))
        finally:
            os.environ["PATH"] = path
            if env is not None:
                os.environ["MENSHEN_CLI"] = env
    assert (tmp_path / "x" / "summary.json").exists()
