"""Guarding a streamed completion: wraps the chunks a streaming client yields
and passes on only the text the engine has released."""
import inspect
from typing import Any, AsyncIterator, Callable, Iterator, Optional


def chunk_text(chunk: Any) -> Optional[str]:
    """The text of one streamed chunk: a str or bytes as it is; an
    OpenAI-compatible chat or completion chunk (object or dict) by its
    `choices[0].delta.content` or `choices[0].text`. None when it has none
    (a role-only or final chunk)."""
    if chunk is None or isinstance(chunk, str):
        return chunk
    if isinstance(chunk, (bytes, bytearray)):
        return bytes(chunk).decode("utf-8", errors="replace")
    if isinstance(chunk, dict):
        choices = chunk.get("choices") or []
        if not choices:
            return None
        choice = choices[0]
        delta = choice.get("delta")
        if delta is not None:
            return delta.get("content")
        return choice.get("text")
    choices = getattr(chunk, "choices", None)
    if choices:
        choice = choices[0]
        delta = getattr(choice, "delta", None)
        if delta is not None:
            return getattr(delta, "content", None)
        return getattr(choice, "text", None)
    raise TypeError(f"cannot find the text of a {type(chunk).__name__} chunk; pass text_of=")


class Guarded:
    """Iterate it (`for` or `async for`, matching the chunks given) to get the
    released text, in order, masks applied. When the policy cuts the stream
    (REFUSE or BLOCK) the upstream iterator is closed -- generation stops --
    and, with refusal=True, the refusal text is yielded last. Afterwards
    `decision` holds the final Decision and `cut` says whether it was cut.

    An exception from upstream or from the audit hook propagates; the stream
    is closed either way."""

    def __init__(self, engine: Any, chunks: Any, direction: Any, profile: Optional[str],
                 locale: Optional[str], request_id: Optional[str],
                 text_of: Optional[Callable[[Any], Optional[str]]], refusal: bool) -> None:
        self._engine = engine
        self._chunks = chunks
        self._open = (direction, profile, locale, request_id)
        self._text_of = text_of or chunk_text
        self._refusal = refusal
        self.decision = None
        self.cut = False

    def _open_stream(self):
        direction, profile, locale, request_id = self._open
        return self._engine.stream(direction, profile, locale, request_id)

    def _end(self, stream):
        """What to yield after the last chunk (or at the cut)."""
        tail = "" if stream.cut else stream.finish()
        self.cut = stream.cut
        self.decision = stream.decision
        if self.cut and self._refusal:
            tail += self.decision.refusal
        return tail

    def __iter__(self) -> Iterator[str]:
        if not hasattr(self._chunks, "__iter__"):
            raise TypeError("these chunks are an async iterator: use `async for`")
        upstream = iter(self._chunks)
        with self._open_stream() as stream:
            try:
                for chunk in upstream:
                    released = self._feed(stream, chunk)
                    if released:
                        yield released
                    if stream.cut:
                        break
                tail = self._end(stream)
                if tail:
                    yield tail
            finally:
                close = getattr(upstream, "close", None)
                if close is not None:
                    close()

    def _feed(self, stream, chunk) -> str:
        text = self._text_of(chunk)
        return stream.feed(text) if text else ""

    async def _aiter(self):
        upstream = self._chunks.__aiter__()
        with self._open_stream() as stream:
            try:
                async for chunk in upstream:
                    released = self._feed(stream, chunk)
                    if released:
                        yield released
                    if stream.cut:
                        break
                tail = self._end(stream)
                if tail:
                    yield tail
            finally:
                aclose = getattr(upstream, "aclose", None)
                if aclose is not None:
                    result = aclose()
                    if inspect.isawaitable(result):
                        await result

    def __aiter__(self) -> AsyncIterator[str]:
        if not hasattr(self._chunks, "__aiter__"):
            raise TypeError("these chunks are a plain iterator: use `for`")
        return self._aiter()
