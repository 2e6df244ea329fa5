"""Corpus audits on a Dask cluster: the same audit as `menshen corpus audit`,
with files spread over workers.

    from dask.distributed import Client
    import menshen.dask
    client = Client("tcp://scheduler:8786")        # or a LocalCluster
    result = menshen.dask.audit(["/shared/corpus"], client, packs=["/shared/risk.mspack"],
                                output="/shared/audit-out")
    result.summary["sources"][0]["verdict"]

Each file is one task. A worker process builds its engine once (from the
.mspack files and policy named, or menshen's default packs) and keeps it for
every file it is given. Per-file results come back to the client and merge
in file order, and a document is sampled by a hash of (seed, source,
document), so the summary and the sample equal the single-process
`corpus audit` for the same seed, whatever the number of workers. Files must
be readable at the same path on every worker (shared storage).
"""
import codecs
import ctypes
import ctypes.util
import gzip
import hashlib
import heapq
import io
import json
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

from ._engine import Action, Engine

__all__ = ["AuditResult", "audit", "list_files"]

_EXCERPT_CONTEXT = 80
_EXCERPT_PLAIN = 160
_MAX_BAD_LISTED = 10000
_DEFAULT_MAX_BYTES = 16 << 20


def _per_byte(error):
    # One U+FFFD per invalid byte, as the library's SanitizeUtf8 does.
    return "\ufffd" * (error.end - error.start), error.end


codecs.register_error("menshen.per_byte", _per_byte)


def _sanitize(data: bytes) -> str:
    return data.decode("utf-8", "menshen.per_byte")


def _is_jsonl_name(path: str) -> bool:
    name = path
    if name.endswith(".gz"):
        name = name[:-3]
    if name.endswith(".zst"):
        name = name[:-4]
    return name.endswith((".jsonl", ".ndjson", ".json"))


def list_files(sources: Sequence[str]) -> List[str]:
    """The files of `sources` in the order `corpus audit` reads them: a file
    as given, a folder's regular files (recursively, hidden ones skipped)
    sorted by path."""
    files = []
    for source in sources:
        while len(source) > 1 and source.endswith("/"):
            source = source[:-1]
        if os.path.isdir(source):
            found = []
            for dirpath, dirnames, filenames in os.walk(source):
                dirnames[:] = [d for d in dirnames if not d.startswith(".")]
                for name in filenames:
                    path = os.path.join(dirpath, name)
                    if not name.startswith(".") and os.path.isfile(path):
                        found.append(path)
            files.extend(sorted(found))
        elif os.path.isfile(source):
            files.append(source)
        else:
            raise FileNotFoundError(f"{source}: no such file or folder")
    return files


class _ZstdRaw(io.RawIOBase):
    """A .zst file as a raw stream, through libzstd (the library menshen's
    CLI reads it with); python3-zstandard is used instead when installed."""

    class _In(ctypes.Structure):
        _fields_ = [("src", ctypes.c_void_p), ("size", ctypes.c_size_t), ("pos", ctypes.c_size_t)]

    class _Out(ctypes.Structure):
        _fields_ = [("dst", ctypes.c_void_p), ("size", ctypes.c_size_t), ("pos", ctypes.c_size_t)]

    _lib = None

    @classmethod
    def _load(cls):
        if cls._lib is None:
            lib = ctypes.CDLL(ctypes.util.find_library("zstd") or "libzstd.so.1")
            lib.ZSTD_createDStream.restype = ctypes.c_void_p
            lib.ZSTD_freeDStream.argtypes = [ctypes.c_void_p]
            lib.ZSTD_initDStream.argtypes = [ctypes.c_void_p]
            lib.ZSTD_decompressStream.restype = ctypes.c_size_t
            lib.ZSTD_decompressStream.argtypes = [ctypes.c_void_p, ctypes.c_void_p,
                                                  ctypes.c_void_p]
            lib.ZSTD_isError.argtypes = [ctypes.c_size_t]
            lib.ZSTD_getErrorName.argtypes = [ctypes.c_size_t]
            lib.ZSTD_getErrorName.restype = ctypes.c_char_p
            cls._lib = lib
        return cls._lib

    def __init__(self, path):
        super().__init__()
        self._zstd = self._load()
        self._file = open(path, "rb")
        self._stream = self._zstd.ZSTD_createDStream()
        self._zstd.ZSTD_initDStream(self._stream)
        self._chunk = b""
        self._input = self._In(None, 0, 0)
        self._eof = False
        self._frame_open = False

    def readable(self):
        return True

    def readinto(self, buffer):
        view = memoryview(buffer).cast("B")
        out_buf = (ctypes.c_char * len(view)).from_buffer(view)
        out = self._Out(ctypes.cast(out_buf, ctypes.c_void_p), len(view), 0)
        while out.pos == 0:
            if self._input.pos == self._input.size:
                if self._eof:
                    if self._frame_open:
                        raise EOFError("corrupt zstd data: the file ends inside a frame")
                    return 0
                self._chunk = self._file.read(1 << 17)
                if not self._chunk:
                    self._eof = True
                    continue
                self._keep = ctypes.create_string_buffer(self._chunk, len(self._chunk))
                self._input = self._In(ctypes.cast(self._keep, ctypes.c_void_p),
                                       len(self._chunk), 0)
            rc = self._zstd.ZSTD_decompressStream(self._stream, ctypes.byref(out),
                                                  ctypes.byref(self._input))
            if self._zstd.ZSTD_isError(rc):
                raise ValueError("corrupt zstd data: " +
                                 self._zstd.ZSTD_getErrorName(rc).decode())
            self._frame_open = rc != 0
        return out.pos

    def close(self):
        if self._stream:
            self._zstd.ZSTD_freeDStream(self._stream)
            self._stream = None
            self._file.close()
        super().close()


def _open(path):
    if path.endswith(".gz"):
        return gzip.open(path, "rb")
    if path.endswith(".zst"):
        try:
            import zstandard  # python3-zstandard, when installed
            return zstandard.ZstdDecompressor().stream_reader(open(path, "rb"), closefd=True)
        except ImportError:
            return io.BufferedReader(_ZstdRaw(path), 1 << 20)
    return open(path, "rb", buffering=1 << 20)


def _lines(path, max_bytes):
    """(number, offset, length, text or None when oversized) for every line,
    split as the CLI's reader splits them, holding at most max_bytes + 2."""
    limit = max_bytes + 2
    number = offset = 0
    with _open(path) as f:
        while True:
            raw = f.readline(limit)
            if not raw:
                return
            number += 1
            start = offset
            if raw.endswith(b"\n"):
                raw = raw[:-1]
                length = len(raw)
                offset += length + 1
            else:
                length = len(raw)
                if length == limit:  # longer than the limit: skip to its end
                    while True:
                        more = f.readline(1 << 20)
                        if not more:
                            break
                        if more.endswith(b"\n"):
                            length += len(more) - 1
                            offset += 1
                            break
                        length += len(more)
                offset += length
            if length > max_bytes:
                yield number, start, length, None
                continue
            if raw.endswith(b"\r"):
                raw = raw[:-1]
            yield number, start, length, raw


def _sample_key(seed, source, document):
    digest = hashlib.sha256(f"{seed}\n{source}\n{document}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def _excerpt(text: bytes, hits) -> str:
    mark = None
    for h in hits:
        if mark is None or h.severity > mark.severity:
            mark = h
    if mark is None:
        end = len(text)
        if end > _EXCERPT_PLAIN:
            end = _EXCERPT_PLAIN
            while end > 0 and (text[end] & 0xC0) == 0x80:
                end -= 1
        return _sanitize(text[:end]) + ("…" if end < len(text) else "")
    start = 0
    if mark.start > _EXCERPT_CONTEXT:
        start = mark.start - _EXCERPT_CONTEXT
        while start < mark.start and (text[start] & 0xC0) == 0x80:
            start += 1
    end = len(text)
    if mark.end + _EXCERPT_CONTEXT < len(text):
        end = mark.end + _EXCERPT_CONTEXT
        while end > mark.end and (text[end] & 0xC0) == 0x80:
            end -= 1
    return ("…" if start > 0 else "") + _sanitize(text[start:mark.start]) + "【" + \
        _sanitize(text[mark.start:mark.end]) + "】" + _sanitize(text[mark.end:end]) + \
        ("…" if end < len(text) else "")


def _no_constants(name):
    raise ValueError(f"not JSON: {name}")


_engines: Dict[tuple, Engine] = {}
_engines_lock = threading.Lock()


def _engine(config) -> Engine:
    """This process's engine for `config`, built on first use."""
    key = (tuple(config["packs"]), config["policy"], config["profile"], config["max_bytes"])
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            engine = Engine(packs=list(config["packs"]), policy=config["policy"],
                            profile=config["profile"], max_input_bytes=config["max_bytes"])
            _engines[key] = engine
        return engine


def _new_agg():
    return {"documents": 0, "bytes": 0, "bad": 0, "with_hits": 0, "invalid_utf8": 0,
            "actions": [0, 0, 0, 0, 0], "classes": {}, "risks": {}, "samples": [],
            "bad_listed": [], "error": ""}


def _source_of_file(path, by):
    if by == "file":
        return path
    slash = path.rfind("/")
    return "." if slash < 0 else "/" if slash == 0 else path[:slash]


def audit_file(path: str, read_path: Optional[str], config: dict) -> dict:
    """One file's partial result: {"sources": {name: aggregate}, "error": str}.
    Runs on a worker; the engine is built once per worker process. `path`
    names the documents; the file is read from `read_path` (None: `path`)."""
    engine = _engine(config)
    jsonl = config["format"] == "jsonl" or (config["format"] == "auto" and _is_jsonl_name(path))
    field_name = config["field"]
    text_field = config["text_field"]
    seed = config["seed"]
    rate, cap = config["sample_rate"], config["sample_cap"]
    limit = None if rate >= 1.0 else int(rate * 2.0 ** 64)
    direction = config["direction"]
    sources: Dict[str, dict] = {}
    try:
        for number, offset, length, raw in _lines(read_path or path, config["max_bytes"]):
            if raw is not None and not raw:
                continue
            document = f"{path}:{number}"
            source = f"({'no ' + field_name})" if field_name else _source_of_file(path, config["by"])
            bad = None
            text = raw
            if raw is None:
                bad = ("oversized", f"the line has {length} bytes, over --max-bytes "
                                    f"{config['max_bytes']}")
            elif jsonl:
                try:
                    obj = json.loads(raw.decode("utf-8"), parse_constant=_no_constants)
                    if not isinstance(obj, dict):
                        raise ValueError("not a JSON object")
                except ValueError as e:
                    obj = None
                    bad = ("invalid_json", str(e))
                if obj is not None:
                    if field_name and isinstance(obj.get(field_name), str):
                        source = obj[field_name]
                    value = obj.get(text_field)
                    if not isinstance(value, str):
                        bad = ("no_text", f'no string field "{text_field}"')
                    else:
                        text = value.encode("utf-8", "surrogatepass")
            agg = sources.setdefault(source, _new_agg())
            if bad is not None:
                agg["bad"] += 1
                if len(agg["bad_listed"]) < _MAX_BAD_LISTED:
                    agg["bad_listed"].append({"source": source, "document": document,
                                              "offset": str(offset), "reason": bad[0],
                                              "detail": bad[1]})
                continue
            decision = engine.check(text, direction=direction)
            agg["documents"] += 1
            agg["bytes"] += len(text)
            agg["invalid_utf8"] += 1 if decision.invalid_utf8 else 0
            action = int(decision.action)
            agg["actions"][action] += 1
            risks = sorted({h.category for h in decision.hits})
            if risks:
                agg["with_hits"] += 1
            for cls in sorted({r.split(".", 1)[0] for r in risks}):
                agg["classes"][cls] = agg["classes"].get(cls, 0) + 1
            for r in risks:
                agg["risks"][r] = agg["risks"].get(r, 0) + 1
            if cap > 0:
                key = _sample_key(seed, source, document)
                if limit is None or key < limit:
                    agg["samples"].append((key, document, {
                        "source": source, "document": document, "file": path,
                        "line": str(number), "offset": str(offset),
                        "action": Action(action).name, "risks": ",".join(risks),
                        "excerpt": _excerpt(text, decision.hits), "key": f"{key:016x}"}))
                    if len(agg["samples"]) >= 2 * cap + 64:
                        agg["samples"] = heapq.nsmallest(cap, agg["samples"],
                                                         key=lambda s: (s[0], s[1]))
    except (OSError, EOFError, ValueError, gzip.BadGzipFile) as e:
        return {"sources": {}, "error": str(e) or type(e).__name__}
    for agg in sources.values():
        agg["samples"] = heapq.nsmallest(cap, agg["samples"], key=lambda s: (s[0], s[1]))
    return {"sources": sources, "error": ""}


@dataclass
class AuditResult:
    summary: dict                       # as summary.json
    samples: List[dict] = field(default_factory=list)   # as review.jsonl, in order
    bad: List[dict] = field(default_factory=list)       # as bad.jsonl, in order


def _merge(files, partials, config) -> AuditResult:
    cap = config["sample_cap"]
    merged: Dict[str, dict] = {}
    file_errors = []
    for path, part in zip(files, partials):
        if part["error"]:
            file_errors.append({"file": path, "error": part["error"]})
            if not config["field"]:
                agg = merged.setdefault(_source_of_file(path, config["by"]), _new_agg())
                if not agg["error"]:
                    agg["error"] = f"{path}: {part['error']}"
            continue
        for name, other in part["sources"].items():
            agg = merged.setdefault(name, _new_agg())
            for k in ("documents", "bytes", "bad", "with_hits", "invalid_utf8"):
                agg[k] += other[k]
            agg["actions"] = [a + b for a, b in zip(agg["actions"], other["actions"])]
            for k in ("classes", "risks"):
                for code, n in other[k].items():
                    agg[k][code] = agg[k].get(code, 0) + n
            agg["samples"].extend(other["samples"])
            room = _MAX_BAD_LISTED - len(agg["bad_listed"])
            agg["bad_listed"].extend(other["bad_listed"][:max(0, room)])
    summary = {"by": config["by_text"], "threshold": config["threshold"],
               "seed": str(config["seed"]), "sample_rate": config["sample_rate"],
               "sample_cap": str(cap), "sources_failed": "0", "documents": "0", "bytes": "0",
               "bad_documents": "0", "sources": [], "file_errors": file_errors}
    result = AuditResult(summary)
    failed = documents = total_bytes = bad = 0
    for name in sorted(merged):
        agg = merged[name]
        samples = heapq.nsmallest(cap, agg["samples"], key=lambda s: (s[0], s[1]))
        n = agg["documents"]
        refused = agg["actions"][3] + agg["actions"][4]
        source = {
            "source": name, "documents": str(n), "bytes": str(agg["bytes"]),
            "bad_documents": str(agg["bad"]), "documents_with_hits": str(agg["with_hits"]),
            "invalid_utf8_documents": str(agg["invalid_utf8"]),
            "actions": dict(zip(("allow", "flag", "mask", "refuse", "block"),
                                (str(a) for a in agg["actions"]))),
            "refuse_block": str(refused), "refuse_block_share": refused / n if n else 0.0,
            "classes": [{"code": c, "documents": str(k), "share": k / n}
                        for c, k in sorted(agg["classes"].items())],
            "risks": [{"code": c, "documents": str(k), "share": k / n}
                      for c, k in sorted(agg["risks"].items())],
            "verdict": "error" if agg["error"] else "empty" if n == 0 else
                       "fail" if refused / n > config["threshold"] else "pass",
            "sampled": str(len(samples)), "error": agg["error"]}
        failed += source["verdict"] in ("fail", "error")
        documents += n
        total_bytes += agg["bytes"]
        bad += agg["bad"]
        summary["sources"].append(source)
        result.samples.extend(s[2] for s in samples)
        result.bad.extend(agg["bad_listed"])
    summary.update(sources_failed=str(failed), documents=str(documents),
                   bytes=str(total_bytes), bad_documents=str(bad))
    return result


def audit(sources: Sequence[str], client=None, *, packs: Sequence[str] = (),
          policy: Optional[str] = None, profile: Optional[str] = None,
          direction: str = "input", by: str = "file", text_field: str = "text",
          format: str = "auto", sample_rate: float = 0.1, sample_cap: int = 1000,
          sample: Optional[int] = None, seed: int = 1, threshold: float = 0.05,
          max_bytes: int = _DEFAULT_MAX_BYTES, output: Optional[str] = None,
          menshen_cli: Optional[str] = None) -> AuditResult:
    """Audits `sources` (files or folders) with one task per file on `client`
    (a dask.distributed Client; None runs every file in this process). The
    arguments are `corpus audit`'s options.

    With `output`, writes every report `corpus audit` writes: summary.json,
    review.jsonl and bad.jsonl from here, then summary.md, report.html and
    the review sheet review.xlsx rendered by `menshen corpus report` (one
    renderer for both). The CLI is `menshen_cli`, else $MENSHEN_CLI, else
    `menshen` on PATH; without one, RuntimeError after the JSON is written."""
    if sample is not None:
        sample_rate, sample_cap = 1.0, sample
    if by.startswith("field:") and len(by) > 6:
        field_name = by[6:]
    elif by in ("file", "dir"):
        field_name = ""
    else:
        raise ValueError("by takes file, dir or field:NAME")
    config = {"packs": [os.path.abspath(p) for p in packs],
              "policy": os.path.abspath(policy) if policy else None, "profile": profile,
              "direction": direction, "by": by if not field_name else "field",
              "by_text": by, "field": field_name, "text_field": text_field,
              "format": format, "sample_rate": float(sample_rate), "sample_cap": int(sample_cap),
              "seed": int(seed), "threshold": float(threshold), "max_bytes": int(max_bytes)}
    files = list_files(sources)
    if client is None:
        partials = [audit_file(f, None, config) for f in files]
    else:
        # Documents are named by the paths as given; workers read absolute ones.
        futures = client.map(audit_file, files, [os.path.abspath(f) for f in files],
                             config=config, pure=False)
        partials = client.gather(futures)
    result = _merge(files, partials, config)
    if output:
        os.makedirs(output, exist_ok=True)
        _write(os.path.join(output, "summary.json"), [result.summary])
        _write(os.path.join(output, "review.jsonl"), result.samples)
        _write(os.path.join(output, "bad.jsonl"), result.bad)
        _render(output, menshen_cli)
    return result


def _render(output: str, menshen_cli: Optional[str]) -> None:
    cli = menshen_cli or os.environ.get("MENSHEN_CLI") or shutil.which("menshen")
    if not cli:
        raise RuntimeError(
            "no menshen CLI to render summary.md, report.html and review.xlsx (pass "
            "menshen_cli= or set MENSHEN_CLI); the JSON reports are in " + output)
    proc = subprocess.run([cli, "corpus", "report", output], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise RuntimeError("menshen corpus report failed: " + proc.stderr.strip())


def _write(path, records):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")
    os.replace(tmp, path)
