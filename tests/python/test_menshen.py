"""The Python API over the C ABI: checks, errors, the audit hook, threads,
streams and the stream adapters."""
import asyncio
import json
import os
import threading
import time

import pytest

import menshen
from menshen import Action, Direction

REFUSED = "出售冰毒，量大从优"
INSULT = "you are a fuck, friend"


def test_package_header_is_the_c_header(root):
    # A link in the source tree (a wheel carries the file it points to), so
    # Python declares exactly what C users get.
    with open(os.path.join(root, "capi", "menshen.h"), "rb") as a, \
            open(os.path.join(root, "bindings", "python", "menshen", "menshen.h"), "rb") as b:
        assert a.read() == b.read(), "bindings/python/menshen/menshen.h must be capi/menshen.h"


def test_version():
    assert menshen.version() == "0.1.0"
    assert menshen.library_path


def test_check(engine):
    d = engine.check(REFUSED)
    assert d.action is Action.REFUSE
    assert d.rule == "default/refuse-core-values"
    assert d.profile == "default"
    assert d.masked == "****，量大从优"
    assert d.refusal
    assert not d.allowed
    assert [h.category for h in d.hits] == ["A1.8", "A1.8"]
    h = d.hits[0]
    assert (h.start, h.end, h.severity, h.term, h.pack) == (0, 12, 4, "出售冰毒", "risk-a1")
    assert h.span_of(REFUSED) == "出售冰毒"
    assert h.entry_id.startswith("risk-a1:")
    assert [p.name for p in d.packs][:1] == ["risk-a1"] and len(d.packs) == 17
    assert len(d.packs[0].sha256) == 64
    assert d.policy_version and d.fold_version.startswith("menshen-fold")


def test_check_options(engine):
    d = engine.check(INSULT, direction="output", profile="minors", locale="en", request_id="r1")
    assert d.action is Action.REFUSE and d.profile == "minors"
    assert d.refusal.startswith("Sorry")
    assert d.label and d.label_position is menshen.LabelPosition.END
    assert engine.check(INSULT, direction=Direction.OUTPUT).action is Action.MASK
    assert engine.check("hello").action is Action.ALLOW


def test_buffers_without_copy(engine):
    data = bytearray(INSULT.encode())
    assert engine.check(data).action is Action.FLAG
    assert engine.check(memoryview(bytes(data))[9:]).hits[0].start == 1
    assert engine.check(b"").action is Action.ALLOW


def test_invalid_utf8_is_counted(engine):
    d = engine.check(b"ok \xff\xfe then fuck")
    assert d.invalid_utf8 == 2 and d.action is Action.FLAG
    assert d.hits[0].start == 11


def test_engine_profile_and_embedded_packs():
    with menshen.Engine(profile="minors") as e:
        assert e.check(INSULT).profile == "minors"


def test_errors(engine, tmp_path, starter):
    with pytest.raises(menshen.FileError, match="missing.mspack"):
        menshen.Engine(packs=[str(tmp_path / "missing.mspack")])
    bad = tmp_path / "bad.mspack"
    bad.write_bytes(b"not a pack")
    with pytest.raises(menshen.PackError, match="bad.mspack") as info:
        menshen.Engine(packs=[str(bad)])
    assert info.value.status == -5 and "bad.mspack" in info.value.message
    policy = tmp_path / "policy.textproto"
    policy.write_text("profile { name: \"p\" rule { action: NOPE } }\n")
    with pytest.raises(menshen.PolicyError, match="policy.textproto"):
        menshen.Engine(packs=[starter], policy=str(policy))
    with pytest.raises(menshen.ProfileError, match="'nope'"):
        menshen.Engine(packs=[starter], profile="nope")
    with pytest.raises(menshen.ProfileError, match="'nope'"):
        engine.check("x", profile="nope")
    with pytest.raises(ValueError):
        engine.check("x", direction="sideways")
    small = menshen.Engine(packs=[starter], max_input_bytes=8)
    with pytest.raises(menshen.InputTooLargeError, match="max_input_bytes"):
        small.check("123456789")
    assert isinstance(menshen.InputTooLargeError("m"), ValueError)
    small.close()
    with pytest.raises(menshen.MenshenError, match="closed"):
        small.check("x")
    small.close()  # twice is fine


def test_unknown_status_is_still_an_error():
    e = menshen.errors.error_for(-99, "from a newer library")
    assert type(e) is menshen.MenshenError and e.status == -99


def test_audit_hook(starter):
    records = []
    with menshen.Engine(packs=[starter], audit_hook=records.append,
                        audit_include_text=True) as e:
        e.check(REFUSED, request_id="req-9")
        e.check("hello", direction="output")
    assert len(records) == 2
    r = records[0]
    assert r.action is Action.REFUSE and r.request_id == "req-9"
    assert r.direction is Direction.INPUT and r.text == REFUSED
    assert r.input_length == len(REFUSED.encode()) and len(r.input_sha256) == 64
    assert [h.category for h in r.hits] == ["A1.8", "A1.8"] and r.hits[0].end == 12
    assert r.packs[0].name == "starter"
    as_json = json.loads(r.json)
    assert as_json["request_id"] == "req-9" and as_json["action"] == "REFUSE"
    assert len(r.protobuf) > 20
    assert records[1].action is Action.ALLOW and records[1].direction is Direction.OUTPUT


def test_audit_hook_exception_is_raised_after_the_call(starter):
    class Boom(Exception):
        pass

    calls = []

    def hook(record):
        calls.append(record.action)
        raise Boom("hook failed")

    with menshen.Engine(packs=[starter], audit_hook=hook) as e:
        with pytest.raises(Boom, match="hook failed"):
            e.check(REFUSED)
        # The engine is fine afterwards, and the next failure is its own.
        with pytest.raises(Boom):
            e.check("hello")
    assert calls == [Action.REFUSE, Action.ALLOW]


def test_stream_hook_exception_keeps_released_text():
    def hook(record):
        raise KeyError("audit store down")

    with menshen.Engine(audit_hook=hook) as e, e.stream() as s:
        out = s.feed("hello there, ")
        with pytest.raises(KeyError) as info:
            s.finish()
        assert out + info.value.released == "hello there, "
        assert s.finished


def test_reload(starter, tmp_path):
    with menshen.Engine() as e:
        before = e.check(INSULT)
        with pytest.raises(menshen.FileError):
            e.reload(packs=[str(tmp_path / "gone")])
        assert e.check(INSULT).profile == "default"  # unchanged after a failed reload
        e.reload(packs=[starter], profile="minors")
        after = e.check(REFUSED)
        assert after.profile == "minors" and [p.name for p in after.packs] == ["starter"]
        assert (before.snapshot_id, after.snapshot_id) == (1, 2)  # the failed reload: none
    assert before.hits[0].term == "fuck"  # decisions are plain Python values


def test_four_threads_check_concurrently(starter):
    texts = [REFUSED, INSULT, "hello world", "我的手机号13812345678"]
    with menshen.Engine() as e:
        want = [e.check(t).action for t in texts]
        errors = []
        start = threading.Barrier(4)

        def work(i):
            try:
                start.wait()
                for n in range(300):
                    k = (i + n) % 4
                    got = e.check(texts[k]).action
                    if got != want[k]:
                        errors.append((i, n, got))
                    if i == 0 and n == 150:
                        e.reload()  # a reload while others check
            except BaseException as ex:  # noqa: B902
                errors.append(ex)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []


def test_gil_is_released_while_scanning(starter):
    text = (b"lorem ipsum dolor sit amet " * 400000)[:10 << 20]
    with menshen.Engine(packs=[starter]) as e:
        done = threading.Event()
        t0 = time.perf_counter()
        e.check(text)
        alone = time.perf_counter() - t0

        def worker():
            e.check(text)
            e.check(text)
            done.set()

        count = 0
        t = threading.Thread(target=worker)
        t.start()
        while not done.is_set():
            count += 1
        t.join()
    # Holding the GIL for two scans of ~`alone` seconds each would leave this
    # loop a few switch intervals at most.
    assert alone > 0.005
    assert count > 10000, (count, alone)


def test_stream_matches_block_check(engine):
    text = "first a fuck, then 我的手机 13812345678 ok"
    want = engine.check(text, direction="output")
    for size in (1, 3, 7, 64):
        with engine.stream(direction="output") as s:
            out = "".join(s.feed(text.encode()[i:i + size])
                          for i in range(0, len(text.encode()), size))
            out += s.finish()
            assert out == want.masked
            assert s.finished and not s.cut
            assert s.decision.action == want.action
            assert [h.start for h in s.decision.hits] == [h.start for h in want.hits]
            with pytest.raises(menshen.StateError):
                s.feed("more")


def test_stream_fork(engine):
    text = "first a fuck, then 我的手机 13812345678 ok"
    want = engine.check(text, direction="output")
    with engine.stream(direction="output") as parent:
        head = parent.feed("first a fu")
        with parent.fork() as same, parent.fork() as other:
            rest = text[len("first a fu"):]
            assert head + parent.feed(rest) + parent.finish() == want.masked
            assert head + same.feed(rest) + same.finish() == want.masked
            assert same.decision.action == want.action
            assert head + other.feed("n day") + other.finish() == "first a fun day"
            assert other.decision.action == menshen.Action.ALLOW


def test_stream_cut(engine):
    with engine.stream(direction="output") as s:
        out = s.feed("safe text, ") + s.feed(REFUSED)
        # The hit is confirmed after at most the hold-back; then the cut.
        out += "".join(s.feed("more ") for _ in range(engine.holdback_bytes // 5 + 1))
        assert s.cut and s.cut_offset == len("safe text, ")
        assert out == "safe text, "
        assert s.feed("more") == "" and s.finish() == ""
        assert s.decision.action is Action.BLOCK and s.decision.refusal


def fake_tokens(text, size=3):
    data = list(text)
    for i in range(0, len(data), size):
        yield "".join(data[i:i + size])


def test_guard_iterator(engine):
    text = "first a fuck, then more text, and done"
    want = engine.check(text, direction="output").masked
    g = engine.guard(fake_tokens(text))
    assert "".join(g) == want
    assert g.decision.action is Action.MASK and not g.cut


def test_guard_cuts_and_closes_upstream(engine):
    produced = []
    closed = []

    def upstream():
        try:
            yield "safe text, "
            yield REFUSED
            for _ in range(100000):
                produced.append(1)
                yield "never "
        finally:
            closed.append(True)

    g = engine.guard(upstream())
    out = list(g)
    assert g.cut and closed == [True]
    # Generation stopped once the hold-back had passed the hit.
    assert len(produced) * 6 <= engine.holdback_bytes + 64
    assert "".join(out[:-1]) == "safe text, " and out[-1] == g.decision.refusal


def test_guard_async_openai_chunks(engine):
    def chunk(content):
        return {"choices": [{"index": 0, "delta": {"content": content}}]}

    async def upstream():
        yield {"choices": [{"index": 0, "delta": {"role": "assistant"}}]}
        for piece in fake_tokens("hello, you are a fuck, bye", 4):
            await asyncio.sleep(0)
            yield chunk(piece)
        yield {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}

    async def run():
        g = engine.guard(upstream())
        return [t async for t in g], g

    out, g = asyncio.run(run())
    assert "".join(out) == "hello, you are a ****, bye"
    assert g.decision.action is Action.MASK


def test_chunk_text():
    class Delta:
        content = "abc"

    class Choice:
        delta = Delta()

    class Chunk:
        choices = [Choice()]

    assert menshen.chunk_text(Chunk()) == "abc"
    assert menshen.chunk_text({"choices": [{"text": "x"}]}) == "x"
    assert menshen.chunk_text({"choices": []}) is None
    assert menshen.chunk_text(b"\xe4\xbd\xa0") == "你"
    with pytest.raises(TypeError):
        menshen.chunk_text(42)


def test_guard_wrong_iteration_kind(engine):
    async def agen():
        yield "x"
    with pytest.raises(TypeError, match="async for"):
        iter(engine.guard(agen())).__next__()
    with pytest.raises(TypeError, match="plain iterator"):
        engine.guard(iter(["x"])).__aiter__()


# ---- Issue 18: close() with calls running, lone surrogates, released hooks ----

def test_close_waits_for_running_checks(starter):
    # Closing while other threads are inside the C library must neither free
    # the engine under them nor deadlock: running calls finish, later ones
    # raise MenshenError.
    text = "出售冰毒 " + "lorem ipsum dolor sit amet " * 20000
    for _ in range(5):
        e = menshen.Engine(packs=[starter])
        started = threading.Barrier(5)
        outcomes = []

        def work():
            started.wait()
            for _ in range(50):
                try:
                    outcomes.append(e.check(text).action)
                except menshen.MenshenError as ex:
                    assert "closed" in str(ex)
                    outcomes.append("closed")
                    return

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        started.wait()
        time.sleep(0.01)
        e.close()
        for t in threads:
            t.join(timeout=60)
            assert not t.is_alive()
        assert "closed" in outcomes
        assert all(o in (Action.REFUSE, "closed") for o in outcomes)
        with pytest.raises(menshen.MenshenError):
            e.check("x")
        e.close()  # twice is fine


def test_close_from_inside_a_call_is_refused(starter):
    errors = []
    e = None

    def hook(record):
        try:
            e.close()
        except menshen.MenshenError as ex:
            errors.append(str(ex))

    e = menshen.Engine(packs=[starter], audit_hook=hook)
    assert e.check(REFUSED).action == Action.REFUSE
    assert errors and "wait for itself" in errors[0]
    e.close()


def test_streams_outlive_a_closed_engine(starter):
    records = []
    e = menshen.Engine(packs=[starter], audit_hook=records.append)
    s = e.stream()
    s.feed("hello ")
    e.close()
    s.feed("出售冰毒")
    s.finish()
    assert s.decision.action >= Action.REFUSE
    assert len(records) == 1  # the stream's snapshot still had its hook
    s.close()


def test_lone_surrogates_are_scanned_as_invalid_utf8(engine):
    d = engine.check("出售冰毒\ud800，量大从优")
    assert d.action == Action.REFUSE
    assert d.invalid_utf8 >= 1
    assert "\ufffd" in d.masked
    # As a C caller passing those bytes gets: the same decision.
    raw = engine.check("出售冰毒\ud800，量大从优".encode("utf-8", "surrogatepass"))
    assert (raw.action, raw.invalid_utf8, raw.masked) == (d.action, d.invalid_utf8, d.masked)
    assert d.hits[0].span_of("出售冰毒\ud800，量大从优") == "出售冰毒"
    with engine.stream() as s:
        out = s.feed("hello \udc80 world") + s.finish()
        assert s.decision.invalid_utf8 >= 1
    assert out == "hello \ufffd\ufffd\ufffd world"
    assert engine.check("ok", request_id="id-\ud83d").action == Action.ALLOW


def test_reload_releases_the_hooks_of_replaced_snapshots(starter):
    import gc
    import weakref

    class Hook:
        def __init__(self):
            self.records = []

        def __call__(self, record):
            self.records.append(record)

    first = Hook()
    refs = [weakref.ref(first)]
    e = menshen.Engine(packs=[starter], audit_hook=first)
    e.check(REFUSED)
    old_stream = e.stream()  # opened on the first snapshot
    del first
    for _ in range(5):
        hook = Hook()
        refs.append(weakref.ref(hook))
        e.reload(packs=[starter], audit_hook=hook)
        e.check(REFUSED)
        del hook
    gc.collect()
    # The current hook lives; so does the first (an open stream may call it);
    # the ones in between are gone.
    assert [r() is not None for r in refs] == [True, False, False, False, False, True]
    old_stream.feed("出售冰毒")
    old_stream.finish()
    assert len(refs[0]().records) == 2  # the check and the stream of snapshot 1
    old_stream.close()
    gc.collect()
    assert refs[0]() is None
    assert refs[-1]() is not None
    e.close()
    gc.collect()
    assert refs[-1]() is None


def test_fail_closed_hook_makes_the_decision_an_error(starter):
    def hook(record):
        raise OSError("disk full")

    with menshen.Engine(packs=[starter], audit_hook=hook, audit_fail_closed=True) as e:
        with pytest.raises(menshen.AuditError) as info:
            e.check(REFUSED)
        assert isinstance(info.value.__cause__, OSError)
        with e.stream() as s:
            s.feed("hello")
            with pytest.raises(menshen.AuditError):
                s.finish()


def test_stream_cut_by_a_limit_fails_closed(starter):
    with menshen.Engine(packs=[starter], max_input_bytes=10) as e:
        with e.stream() as s:
            s.feed("hello")
            with pytest.raises(menshen.InputTooLargeError):
                s.feed("x" * 20)
            d = s.decision
        assert d.action == Action.BLOCK
        assert d.cut_reason == "max_input_bytes"
        assert d.rule == "default/stream-limit"
