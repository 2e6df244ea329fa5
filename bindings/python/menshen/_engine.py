"""The engine, its decisions, streams and the audit hook, on the C ABI."""
import codecs
import collections
import enum
import threading
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Sequence, Union

from ._ffi import ffi, lib
from .errors import AuditError, MenshenError, error_for

Text = Union[str, bytes, bytearray, memoryview]

_OK = 0
_EUSER = -11
_EAUDIT = -12


class Action(enum.IntEnum):
    """What the policy decided, weakest to strongest."""
    ALLOW = 0
    FLAG = 1
    MASK = 2
    REFUSE = 3
    BLOCK = 4


class Direction(enum.IntEnum):
    INPUT = 0   # a prompt going into the model
    OUTPUT = 1  # a completion coming out


class LabelPosition(enum.IntEnum):
    NONE = 0
    START = 1
    END = 2


@dataclass(frozen=True)
class Hit:
    """A pack entry matched text[start:end] -- byte offsets into the UTF-8
    encoding of the text checked (use `span_of` to cut a str)."""
    entry_id: str
    pack: str
    category: str
    term: str
    severity: int
    regex: bool
    start: int
    end: int

    def span_of(self, text: Text) -> str:
        """The matched text, given the text that was checked."""
        data = _encode(text) if isinstance(text, str) else bytes(text)
        return data[self.start:self.end].decode("utf-8", errors="replace")


@dataclass(frozen=True)
class PackVersion:
    name: str
    version: str
    sha256: str


@dataclass(frozen=True)
class Decision:
    """What the engine decided about one text (or one stream)."""
    action: Action
    rule: str
    profile: str
    masked: str
    refusal: str
    label: str
    label_position: LabelPosition
    hits: List[Hit]
    policy_version: str
    fold_version: str
    packs: List[PackVersion]
    invalid_utf8: int
    snapshot_id: int = 0  # the engine snapshot that decided (new with each reload)
    # Why a stream was cut without a rule deciding ("max_input_bytes",
    # "max_stream_holdback_bytes"; the action is then REFUSE or BLOCK), and
    # the hits a stream counted but did not list.
    cut_reason: str = ""
    hits_not_kept: int = 0

    @property
    def allowed(self) -> bool:
        """True for ALLOW and FLAG: the text may be used as it is."""
        return self.action <= Action.FLAG


@dataclass(frozen=True)
class AuditRecord:
    """An audit record, copied out of the library for the Python hook.
    `json` is the record as the built-in JSON-lines sink writes it, and
    `protobuf` the binary menshen.audit.AuditRecord."""
    time_unix_ns: int
    request_id: str
    direction: Direction
    profile: str
    action: Action
    rule: str
    policy_version: str
    fold_version: str
    input_length: int
    input_sha256: str
    invalid_utf8: int
    text: Optional[str]
    hits: List[Hit]
    packs: List[PackVersion]
    json: str
    protobuf: bytes = field(repr=False)
    cut_reason: str = ""
    hits_not_kept: int = 0


_unpack = ffi.unpack


def _str(ptr, length) -> str:
    if length == 0:
        return ""
    return _unpack(ptr, length).decode("utf-8", "replace")


def _encode(text: str) -> bytes:
    """UTF-8 of a str. A lone surrogate (which UTF-8 cannot hold) is passed
    as the bytes Python's surrogatepass gives it, which are invalid UTF-8:
    the library scans them as U+FFFD and counts them in invalid_utf8, as it
    does any invalid UTF-8 a C caller passes."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def _utf8(value: Optional[str]):
    if value is None:
        return ffi.NULL, 0
    data = _encode(value)
    return data, len(data)


def _text_arg(text: Text):
    """A C view of `text`: str is encoded once; buffers are passed without a copy."""
    if isinstance(text, str):
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: see _encode
            data = text.encode("utf-8", "surrogatepass")
        return data, len(data)
    if isinstance(text, bytes):
        return text, len(text)
    view = memoryview(text)
    return ffi.from_buffer(view), view.nbytes


def _direction(direction) -> int:
    if isinstance(direction, Direction):
        return int(direction)
    if isinstance(direction, str) and direction.lower() in ("input", "output"):
        return int(Direction[direction.upper()])
    raise ValueError(f"direction must be 'input' or 'output', not {direction!r}")


# Exceptions raised by a Python audit hook, per thread, waiting for the C call
# that ran the hook to return (they are never raised through C).
_pending = threading.local()


def _raise_for(status: int, detail: str):
    exc = getattr(_pending, "exc", None)
    if status == _EUSER and exc is not None:
        _pending.exc = None
        raise exc
    if status == _EAUDIT:
        # Fail closed: the hook that could not record is the cause.
        _pending.exc = None
        raise AuditError(detail, status) from exc
    raise error_for(status, detail)


def _check(status: int, detail_fn: Callable[[], object]):
    if status != _OK:
        detail = detail_fn()
        _raise_for(status, ffi.string(detail).decode("utf-8", "replace") if detail else "")


def _last_error():
    return lib.menshen_last_error()


def _read_hit(h) -> Hit:
    return Hit(_str(h.entry_id, h.entry_id_len), _str(h.pack, h.pack_len),
               _str(h.category, h.category_len), _str(h.term, h.term_len),
               h.severity, bool(h.regex), h.start, h.end)


def _read_pack(p) -> PackVersion:
    return PackVersion(_str(p.name, p.name_len), _str(p.version, p.version_len),
                       _str(p.sha256, p.sha256_len))


def _new_struct(ctype: str):
    s = ffi.new(ctype + " *")
    s.struct_size = ffi.sizeof(ctype)
    return s


_ACTIONS = tuple(Action)
_LABEL_POSITIONS = tuple(LabelPosition)


class _Reader:
    """Per-thread C structs a result is read into (allocated once)."""

    def __init__(self):
        self.decision = _new_struct("menshen_decision")
        self.hit = _new_struct("menshen_hit")
        self.pack = _new_struct("menshen_pack_version")
        out = ffi.new("menshen_result **")
        _check(lib.menshen_result_create(out), _last_error)
        self.result = ffi.gc(out[0], lib.menshen_result_free)
        self.versions = None  # (snapshot_id, policy_version, fold_version, packs)

    def read(self, result=None) -> Decision:
        result = self.result if result is None else result
        d = self.decision
        _check(lib.menshen_result_get(result, d), _last_error)
        hits = []
        for i in range(d.hit_count):
            _check(lib.menshen_result_hit(result, i, self.hit), _last_error)
            hits.append(_read_hit(self.hit))
        # Versions belong to the snapshot: read once per snapshot id.
        versions = self.versions
        if versions is None or versions[0] != d.snapshot_id:
            packs = []
            for i in range(d.pack_count):
                _check(lib.menshen_result_pack(result, i, self.pack), _last_error)
                packs.append(_read_pack(self.pack))
            versions = self.versions = (d.snapshot_id,
                                        _str(d.policy_version, d.policy_version_len),
                                        _str(d.fold_version, d.fold_version_len), tuple(packs))
        return Decision(_ACTIONS[d.action], _str(d.rule, d.rule_len),
                        _str(d.profile, d.profile_len), _str(d.masked, d.masked_len),
                        _str(d.refusal, d.refusal_len), _str(d.label, d.label_len),
                        _LABEL_POSITIONS[d.label_position], hits, versions[1], versions[2],
                        list(versions[3]), d.invalid_utf8, d.snapshot_id,
                        _str(d.cut_reason, d.cut_reason_len), d.hits_not_kept)


def _read_audit(record) -> AuditRecord:
    info = _new_struct("menshen_audit_info")
    _check(lib.menshen_audit_record_get(record, info), _last_error)
    hit = _new_struct("menshen_hit")
    hits = []
    for i in range(info.hit_count):
        _check(lib.menshen_audit_record_hit(record, i, hit), _last_error)
        hits.append(_read_hit(hit))
    pack = _new_struct("menshen_pack_version")
    packs = []
    for i in range(info.pack_count):
        _check(lib.menshen_audit_record_pack(record, i, pack), _last_error)
        packs.append(_read_pack(pack))
    data = ffi.new("const char **")
    size = ffi.new("size_t *")
    _check(lib.menshen_audit_record_serialize(record, lib.MENSHEN_FORMAT_JSON, data, size),
           _last_error)
    json = _str(data[0], size[0])
    _check(lib.menshen_audit_record_serialize(record, lib.MENSHEN_FORMAT_PROTOBUF, data, size),
           _last_error)
    protobuf = ffi.unpack(data[0], size[0])
    return AuditRecord(info.time_unix_ns, _str(info.request_id, info.request_id_len),
                       Direction(info.direction), _str(info.profile, info.profile_len),
                       Action(info.action), _str(info.rule, info.rule_len),
                       _str(info.policy_version, info.policy_version_len),
                       _str(info.fold_version, info.fold_version_len), info.input_length,
                       _str(info.input_sha256, info.input_sha256_len), info.invalid_utf8,
                       _str(info.text, info.text_len) if info.has_text else None,
                       hits, packs, json, protobuf, _str(info.cut_reason, info.cut_reason_len),
                       info.hits_not_kept)


def _make_audit_callback(hook: Callable[[AuditRecord], None]):
    @ffi.callback("int(const menshen_audit_record *, void *)")
    def on_audit(record, _user):
        # Never let an exception unwind through C: keep it for the caller.
        # While the hook runs this thread is inside a call on an engine,
        # which close() must not wait for.
        _pending.in_hook = getattr(_pending, "in_hook", 0) + 1
        try:
            hook(_read_audit(record))
            return 0
        except BaseException as e:  # noqa: B902 -- re-raised after C returns
            _pending.exc = e
            return 1
        finally:
            _pending.in_hook -= 1
    return on_audit


def _drop(counts: dict, key) -> None:
    left = counts[key] - 1
    if left:
        counts[key] = left
    else:
        del counts[key]


class _Closable:
    """A native handle freed by close(): also on leaving a `with` block and
    when the object is collected."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass


class Engine(_Closable):
    """Packs and a policy compiled into an engine, shared by all threads.

    packs:    paths of compiled .mspack files or pack source folders; empty
              means the default packs embedded in the library.
    policy:   a policy.textproto path; None means the embedded default.
    profile:  the profile checks use when they name none; None means the
              policy's default profile.
    max_input_bytes: longer texts raise InputTooLargeError (0: 16 MiB).
    audit_hook: called with an AuditRecord after every decision, on the
              checking thread, before check()/finish() returns. An exception
              it raises is re-raised from that call (the decision was made).
    audit_include_text: put the checked text itself into audit records.
    audit_fail_closed: an exception from audit_hook means the record could
              not be kept: the call raises AuditError (the hook's exception
              as its cause) and hands out no decision.
    max_stream_hits: a stream's decision lists at most this many hits (the
              most severe) and counts the rest in hits_not_kept (0: 256).

    Raises FileError, PackError, PolicyError, ProfileError with the library's
    message. Thread-safe: check() and stream() may be called from any number
    of threads; the GIL is released while the library works. close() waits
    for the calls running on other threads and refuses new ones.
    """

    def __init__(self, packs: Sequence[str] = (), policy: Optional[str] = None,
                 profile: Optional[str] = None, max_input_bytes: int = 0,
                 audit_hook: Optional[Callable[[AuditRecord], None]] = None,
                 audit_include_text: bool = False, audit_fail_closed: bool = False,
                 max_stream_hits: int = 0):
        self._local = threading.local()
        self._handle = None
        # Calls into C on this engine, and the audit callback each snapshot
        # may call. A snapshot's callback lives until no call or stream that
        # could be using that snapshot (registered at its generation or
        # before) is left: a reload does not free the callback in-flight
        # calls and open streams of the old snapshot still call.
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._reload_lock = threading.Lock()
        self._closing = False
        self._generation = 1       # the snapshot new calls use (C's snapshot_id)
        # The generation of every C call in flight (close() waits for none to
        # be left). A deque: append and remove are atomic under the GIL, so
        # a check pays no lock.
        self._calls = collections.deque()
        self._streams = {}         # snapshot id -> open streams on it
        self._callbacks = {}       # generation -> its cffi callback (or None)
        options, keep, callback = self._options(packs, policy, profile, max_input_bytes,
                                                audit_hook, audit_include_text,
                                                audit_fail_closed, max_stream_hits)
        out = ffi.new("menshen_engine **")
        _check(lib.menshen_engine_open(options, out), _last_error)
        del keep
        self._callbacks[1] = callback
        self._handle = out[0]

    def _options(self, packs, policy, profile, max_input_bytes, audit_hook, include_text,
                 fail_closed, max_stream_hits):
        if isinstance(packs, (str, bytes)):
            packs = [packs]
        options = _new_struct("menshen_engine_options")
        keep = [ffi.new("char[]", str(p).encode()) for p in packs]
        array = ffi.new("const char *[]", keep) if keep else ffi.NULL
        keep.append(array)
        options.packs = array
        options.pack_count = len(packs)
        if policy is not None:
            keep.append(ffi.new("char[]", str(policy).encode()))
            options.policy_path = keep[-1]
        if profile is not None:
            keep.append(ffi.new("char[]", profile.encode()))
            options.profile = keep[-1]
        options.max_input_bytes = max_input_bytes
        callback = None
        if audit_hook is not None:
            callback = _make_audit_callback(audit_hook)
            options.audit_fn = callback
        options.audit_include_text = 1 if include_text else 0
        options.audit_fail_closed = 1 if fail_closed else 0
        options.max_stream_hits = max_stream_hits
        return options, keep, callback

    # -- call bookkeeping ------------------------------------------------------

    def _enter(self) -> int:
        """Registers a C call about to run; returns its generation."""
        generation = self._generation
        self._calls.append(generation)
        if self._closing:  # after the append: close() either sees it or we see it
            self._leave(generation)
            raise MenshenError("the engine is closed")
        return generation

    def _leave(self, generation: int) -> None:
        self._calls.remove(generation)
        if len(self._callbacks) > 1 or self._closing:
            with self._lock:
                # A replaced snapshot's callback may go now; close() may wait.
                self._release_callbacks_locked()
                if not self._calls:
                    self._idle.notify_all()

    def _stream_opened(self, snapshot_id: int) -> None:
        with self._lock:
            self._streams[snapshot_id] = self._streams.get(snapshot_id, 0) + 1

    def _stream_closed(self, snapshot_id: int) -> None:
        with self._lock:
            _drop(self._streams, snapshot_id)
            self._release_callbacks_locked()

    def _release_callbacks_locked(self) -> None:
        # A call that began at generation g may run on any snapshot from g to
        # the current one (reloads can land between its registration and its
        # C call), so it keeps all of those callbacks; an open stream knows
        # its snapshot and keeps that one. A reload's new callback (above the
        # current generation) waits for its swap.
        current = None if self._handle is None else self._generation
        calls = list(self._calls)
        oldest_call = min(calls) if calls else None
        for generation in list(self._callbacks):
            retired = current is None or generation < current
            if (retired and generation not in self._streams and
                    (oldest_call is None or generation < oldest_call)):
                del self._callbacks[generation]

    @property
    def _engine(self):
        if self._handle is None:
            raise MenshenError("the engine is closed")
        return self._handle

    def _reader(self) -> _Reader:
        reader = getattr(self._local, "reader", None)
        if reader is None:
            reader = self._local.reader = _Reader()
        return reader

    def _check_options(self, direction, profile, locale, request_id):
        o = _new_struct("menshen_check_options")
        o.direction = _direction(direction)
        keep = []
        for name, value in (("profile", profile), ("locale", locale),
                            ("request_id", request_id)):
            if value is not None:
                data, size = _utf8(value)
                buf = ffi.from_buffer(data)
                keep.append(buf)  # the struct's pointer does not keep it alive
                setattr(o, name, buf)
                setattr(o, name + "_len", size)
        return o, keep

    def check(self, text: Text, direction: Union[str, Direction] = "input",
              profile: Optional[str] = None, locale: Optional[str] = None,
              request_id: Optional[str] = None) -> Decision:
        """Checks one text (str, or bytes-like UTF-8 without a copy) and
        returns the decision. Invalid UTF-8, and lone surrogates in a str, are
        scanned as U+FFFD and counted in Decision.invalid_utf8. Raises
        ProfileError, InputTooLargeError, AuditError (fail closed)."""
        reader = self._reader()
        data, size = _text_arg(text)
        if profile is None and locale is None and request_id is None and direction == "input":
            options = ffi.NULL
        else:
            options, _keep = self._check_options(direction, profile, locale, request_id)
        generation = self._enter()
        try:
            status = lib.menshen_check(self._handle, data, size, options, reader.result)
        finally:
            self._leave(generation)
        if status != _OK:
            if status == _EUSER and getattr(_pending, "exc", None) is not None:
                exc, _pending.exc = _pending.exc, None
                raise exc
            _raise_for(status, ffi.string(lib.menshen_result_error(reader.result)).decode(
                "utf-8", "replace"))
        return reader.read()

    def stream(self, direction: Union[str, Direction] = "output",
               profile: Optional[str] = None, locale: Optional[str] = None,
               request_id: Optional[str] = None) -> "Stream":
        """Opens a stream: feed() chunks as they come, finish() at the end."""
        options, keep = self._check_options(direction, profile, locale, request_id)
        out = ffi.new("menshen_stream **")
        generation = self._enter()
        try:
            _check(lib.menshen_stream_open(self._handle, options, out), _last_error)
            # The snapshot the stream is on, whose callback it will call.
            reader = self._reader()
            lib.menshen_stream_result(out[0], reader.result)
            decision = reader.decision
            _check(lib.menshen_result_get(reader.result, decision), _last_error)
            snapshot = decision.snapshot_id
            self._stream_opened(snapshot)
        finally:
            self._leave(generation)
        del keep
        return Stream(self, out[0], snapshot)

    def guard(self, chunks, direction: Union[str, Direction] = "output",
              profile: Optional[str] = None, locale: Optional[str] = None,
              request_id: Optional[str] = None, text_of: Optional[Callable] = None,
              refusal: bool = True) -> "Guarded":
        """Wraps an iterator or async iterator of text chunks (str, or
        OpenAI-style streaming chunks: see `chunk_text`) and yields only the
        text that is safe to show. See Guarded."""
        from ._guard import Guarded
        return Guarded(self, chunks, direction, profile, locale, request_id, text_of, refusal)

    def reload(self, packs: Sequence[str] = (), policy: Optional[str] = None,
               profile: Optional[str] = None, max_input_bytes: int = 0,
               audit_hook: Optional[Callable[[AuditRecord], None]] = None,
               audit_include_text: bool = False, audit_fail_closed: bool = False,
               max_stream_hits: int = 0) -> None:
        """Builds a new snapshot and swaps it in atomically; checks running on
        other threads finish on the old one. On error the engine is unchanged.
        The old snapshot's audit hook is released once no call or stream that
        may use it is left."""
        options, keep, callback = self._options(packs, policy, profile, max_input_bytes,
                                                audit_hook, audit_include_text,
                                                audit_fail_closed, max_stream_hits)
        with self._reload_lock:
            with self._lock:
                # Checks may call the new snapshot's callback as soon as the
                # C reload swaps it in, before this thread returns.
                new_generation = self._generation + 1
                self._callbacks[new_generation] = callback
            generation = self._enter()
            try:
                status = lib.menshen_engine_reload(self._handle, options)
            finally:
                self._leave(generation)
            del keep
            with self._lock:
                if status == _OK:
                    self._generation = new_generation
                else:
                    del self._callbacks[new_generation]
                self._release_callbacks_locked()
        if status != _OK:
            _raise_for(status, ffi.string(lib.menshen_engine_error(self._handle)).decode(
                "utf-8", "replace"))

    @property
    def holdback_bytes(self) -> int:
        """The most input bytes a stream holds back before releasing them."""
        out = ffi.new("size_t *")
        generation = self._enter()
        try:
            status = lib.menshen_engine_holdback_bytes(self._handle, out)
        finally:
            self._leave(generation)
        _check(status, _last_error)
        return out[0]

    def close(self) -> None:
        """Frees the engine: refuses new calls, waits for the calls running on
        other threads, then frees it. Decisions already returned stay valid;
        open streams keep their snapshot (and its audit hook). Raises
        MenshenError when called from inside a call on this engine (an audit
        hook), which would wait for itself."""
        with self._lock:
            if self._handle is None:
                return
            if getattr(_pending, "in_hook", 0) > 0 and self._calls:
                raise MenshenError("close() inside a call on this engine (its audit hook?) "
                                   "would wait for itself")
            self._closing = True
            while self._calls:
                self._idle.wait()
            handle, self._handle = self._handle, None
        lib.menshen_engine_close(handle)
        with self._lock:
            self._release_callbacks_locked()


class Stream(_Closable):
    """A text checked chunk by chunk; released text never includes anything a
    pattern could still complete over, and has masks applied. Owned by one
    thread at a time. Use as a context manager or call close()."""

    def __init__(self, engine: Engine, handle, snapshot: int):
        # Registered with the engine on its snapshot: the audit callback the
        # snapshot calls stays alive until close().
        self._engine = engine
        self._snapshot = snapshot
        self._handle = handle
        self._released = ffi.new("const char **")
        self._released_len = ffi.new("size_t *")
        # A release may end inside a UTF-8 character of the input.
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._reader = None

    def _call(self, status: int) -> str:
        out = self._decoder.decode(ffi.unpack(self._released[0], self._released_len[0])
                                   if self._released_len[0] else b"")
        if status != _OK:
            try:
                _raise_for(status, ffi.string(lib.menshen_stream_error(self._handle)).decode(
                    "utf-8", "replace"))
            except BaseException as e:
                # Text the call released before failing (say, the audit hook
                # raised in finish()) is not lost: it rides on the exception.
                e.released = out
                raise
        return out

    @property
    def _stream(self):
        if self._handle is None:
            raise MenshenError("the stream is closed")
        return self._handle

    def feed(self, chunk: Text) -> str:
        """Consumes a chunk; returns the text now safe to show (maybe "")."""
        data, size = _text_arg(chunk)
        return self._call(lib.menshen_stream_feed(self._stream, data, size, self._released,
                                                  self._released_len))

    def finish(self) -> str:
        """Ends the input; returns the rest of the text (masked). Reports the
        decision to the audit hook; if the hook raises, its exception is raised
        here with the released text as its `released` attribute."""
        out = self._call(lib.menshen_stream_finish(self._stream, self._released,
                                                   self._released_len))
        return out + self._decoder.decode(b"", final=True)

    @property
    def decision(self) -> Decision:
        """The decision so far; final after finish() or a cut. Its `masked`
        is empty: the masked text is what feed() and finish() returned."""
        if self._reader is None:
            self._reader = _Reader()
        _check(lib.menshen_stream_result(self._stream, self._reader.result),
               lambda: lib.menshen_result_error(self._reader.result))
        return self._reader.read()

    def fork(self) -> "Stream":
        """A copy of this stream as it stands: fed the same continuation it
        reaches the same decision, fed another it is independent (one guard
        per branch of beam search or speculative decoding)."""
        out = ffi.new("menshen_stream **")
        _check(lib.menshen_stream_fork(self._stream, out), _last_error)
        self._engine._stream_opened(self._snapshot)
        copy = Stream(self._engine, out[0], self._snapshot)
        copy._decoder.setstate(self._decoder.getstate())
        return copy

    def _state(self):
        state = _new_struct("menshen_stream_state")
        _check(lib.menshen_stream_get_state(self._stream, state), _last_error)
        return state

    @property
    def cut(self) -> bool:
        """Whether REFUSE or BLOCK cut the stream (nothing more is released)."""
        return bool(self._state().cut)

    @property
    def cut_offset(self) -> int:
        return self._state().cut_offset

    @property
    def finished(self) -> bool:
        return bool(self._state().finished)

    @property
    def bytes_fed(self) -> int:
        return self._state().bytes_fed

    @property
    def max_held_bytes(self) -> int:
        """The most input bytes this stream has held back at once."""
        return self._state().max_held_bytes

    def close(self) -> None:
        if self._handle is not None:
            lib.menshen_stream_close(self._handle)
            self._handle = None
            self._engine._stream_closed(self._snapshot)


def version() -> str:
    """The version of the loaded libmenshen."""
    return ffi.string(lib.menshen_version_string()).decode()
