#!/usr/bin/python3
"""Per-call cost of the Python binding over the C ABI, on the 200-byte prompts
of bench/capi_bench.cc (the same texts, built the same way).

  MENSHEN_LIBRARY=build-bench/lib/libmenshen.so PYTHONPATH=bindings/python \\
      /usr/bin/python3 bench/python_bench.py

Three layers, each the median of 7 timing runs, per call, in thread CPU time
(time.thread_time, comparable with Google Benchmark's CPU column; the machine
is shared, so wall time is noisier):
  cffi   lib.menshen_check through cffi, no result read (the floor of any
         Python call into C: argument conversion, GIL release/reacquire)
  check  engine.check(text): the full API, returning a Decision dataclass
         with its hits and pack versions
  bytes  engine.check(bytes): the same with the text already UTF-8
Compare with BM_CheckC / BM_CheckCRead of menshen_bench, run on the same
machine at the same time.
"""
import statistics
import sys
import time

import menshen
from menshen._ffi import ffi, lib


def prompt(hit):
    text = ("请帮我看看这句话是什么意思：你这个傻逼。Then explain it politely, please." if hit
            else "请帮我写一首关于秋天的短诗，要求押韵，描写落叶和夕阳。Keep it under eight lines.")
    data = text.encode()
    while len(data) < 200:
        data += b" ok"
    return data[:200]


def per_call(fn, n):
    runs = []
    for _ in range(7):
        t0 = time.thread_time()
        for _ in range(n):
            fn()
        runs.append((time.thread_time() - t0) / n)
    return statistics.median(runs)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    engine = menshen.Engine()
    out = ffi.new("menshen_result **")
    assert lib.menshen_result_create(out) == 0
    result = ffi.gc(out[0], lib.menshen_result_free)
    handle = engine._engine
    print(f"libmenshen {menshen.version()} at {menshen.library_path}; {n} calls x 7 runs, median CPU time")
    print(f"{'prompt':8} {'cffi':>9} {'check':>9} {'bytes':>9}  action")
    for hit in (0, 1):
        data = prompt(hit)
        text = data.decode("utf-8", errors="ignore")
        raw = per_call(lambda: lib.menshen_check(handle, data, len(data), ffi.NULL, result), n)
        full = per_call(lambda: engine.check(text), n)
        full_bytes = per_call(lambda: engine.check(data), n)
        action = engine.check(text).action.name
        print(f"hit:{hit:<4} {raw * 1e9:7.0f}ns {full * 1e9:7.0f}ns {full_bytes * 1e9:7.0f}ns  {action}")


if __name__ == "__main__":
    main()
