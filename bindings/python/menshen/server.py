"""An OpenAI-compatible guard in front of any chat-completions server.

    python3 -m menshen.server --upstream http://127.0.0.1:8000 [--listen 127.0.0.1:8080]
        [--pack P ...] [--policy FILE] [--profile NAME] [--audit-log FILE]

Clients talk to it as to the upstream (vLLM, llama.cpp's server, a hosted
API): `POST /v1/chat/completions`, streaming (`"stream": true`, server-sent
events) or not. For each request it

1. checks every user message (direction input). REFUSE or BLOCK: the upstream
   is not called, the client gets a normal completion whose text is the
   policy's refusal (`finish_reason: "content_filter"`); MASK: the masked
   messages are forwarded;
2. forwards the request, passing the client's Authorization header on unless
   `--upstream-key-env` names a variable holding the upstream's key;
3. guards the answer (direction output) with an engine stream: every SSE delta
   carries only text the engine has released, masks applied; when the policy
   cuts the stream, the upstream connection is closed (generation stops) and
   the refusal arrives as the last delta, `finish_reason: "content_filter"`.
   The AI-generated label is added where the policy says (start or end).
   Without streaming the whole answer is checked at once, with the same
   outcome;
4. records every decision through the engine's audit hook: one JSON line per
   decision in `--audit-log` (the record as `AuditRecord.json` gives it).

Every completion carries a `menshen` object: the input and output actions and
the rules that decided. `GET /healthz` answers `{"status": "ok", ...}`;
`GET /metrics` gives Prometheus text: checks and actions per direction,
check latency, requests and upstream failures.

An upstream that fails before answering gives the client a 502 with an
OpenAI-style error body; one that drops in the middle of a stream ends the
guarded stream (what was held back is checked and released as at a normal
end) followed by an `error` event, and no `[DONE]`.

Engine calls run on the event loop: a check costs microseconds, far less
than the network round trip around it.
"""
import argparse
import asyncio
import json
import os
import sys
import threading
import time
import uuid
from typing import Any, Dict, List, Optional, Sequence, Tuple

from aiohttp import ClientSession, ClientTimeout, web
from aiohttp.client_exceptions import ClientError

from ._engine import Action, AuditRecord, Decision, Engine, LabelPosition, Stream, version
from .errors import InputTooLargeError

# Check latency histogram bounds, seconds.
_BUCKETS = (0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1)
_CONTENT_FILTER = "content_filter"


class Metrics:
    """Counters and a latency histogram, printed in Prometheus' text format."""

    def __init__(self) -> None:
        self.requests: Dict[Tuple[str, str], int] = {}  # (stream, outcome) -> count
        self.checks: Dict[str, int] = {"input": 0, "output": 0}
        self.actions: Dict[Tuple[str, str], int] = {}
        self.upstream_errors = 0
        self.latency_counts = [0] * (len(_BUCKETS) + 1)
        self.latency_sum = 0.0

    def check(self, direction: str, action: Action, seconds: float) -> None:
        self.checks[direction] += 1
        key = (direction, action.name)
        self.actions[key] = self.actions.get(key, 0) + 1
        self.observe(seconds)

    def observe(self, seconds: float) -> None:
        self.latency_sum += seconds
        for i, bound in enumerate(_BUCKETS):
            if seconds <= bound:
                self.latency_counts[i] += 1
                return
        self.latency_counts[-1] += 1

    def request(self, stream: bool, outcome: str) -> None:
        key = ("true" if stream else "false", outcome)
        self.requests[key] = self.requests.get(key, 0) + 1

    def render(self) -> str:
        out = ["# HELP menshen_requests_total Chat completion requests by outcome.",
               "# TYPE menshen_requests_total counter"]
        for (stream, outcome), n in sorted(self.requests.items()):
            out.append(f'menshen_requests_total{{stream="{stream}",outcome="{outcome}"}} {n}')
        out += ["# HELP menshen_checks_total Texts and streams checked, by direction.",
                "# TYPE menshen_checks_total counter"]
        for direction, n in sorted(self.checks.items()):
            out.append(f'menshen_checks_total{{direction="{direction}"}} {n}')
        out += ["# HELP menshen_actions_total Decisions by direction and action.",
                "# TYPE menshen_actions_total counter"]
        for (direction, action), n in sorted(self.actions.items()):
            out.append(f'menshen_actions_total{{direction="{direction}",action="{action}"}} {n}')
        out += ["# HELP menshen_upstream_errors_total Upstream failures (refused, bad "
                "answer, dropped stream).",
                "# TYPE menshen_upstream_errors_total counter",
                f"menshen_upstream_errors_total {self.upstream_errors}",
                "# HELP menshen_check_seconds Time in the engine per check or stream.",
                "# TYPE menshen_check_seconds histogram"]
        total = 0
        for bound, n in zip(_BUCKETS, self.latency_counts):
            total += n
            out.append(f'menshen_check_seconds_bucket{{le="{bound:g}"}} {total}')
        total += self.latency_counts[-1]
        out.append(f'menshen_check_seconds_bucket{{le="+Inf"}} {total}')
        out.append(f"menshen_check_seconds_sum {self.latency_sum:.9f}")
        out.append(f"menshen_check_seconds_count {total}")
        return "\n".join(out) + "\n"


class AuditLog:
    """Appends each audit record as one JSON line; flushed per record."""

    def __init__(self, path: str) -> None:
        self._file = open(path, "a", encoding="utf-8")
        self._lock = threading.Lock()

    def __call__(self, record: AuditRecord) -> None:
        with self._lock:
            self._file.write(record.json.rstrip("\n") + "\n")
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._file.close()


def _texts(content: Any) -> List[Tuple[Optional[int], str]]:
    """The text parts of a message's content: (part index or None, text)."""
    if isinstance(content, str):
        return [(None, content)]
    parts = []
    if isinstance(content, list):
        for i, part in enumerate(content):
            if isinstance(part, dict) and part.get("type") == "text" and isinstance(
                    part.get("text"), str):
                parts.append((i, part["text"]))
    return parts


def _labelled(text: str, decision: Decision) -> str:
    if not decision.label:
        return text
    if decision.label_position == LabelPosition.START:
        return decision.label + text
    if decision.label_position == LabelPosition.END:
        return text + decision.label
    return text


class Guard:
    """The proxy: one engine, one upstream, the metrics. Build the aiohttp
    application with `app()`."""

    def __init__(self, upstream: str, engine: Engine, upstream_key: Optional[str] = None,
                 profile: Optional[str] = None, locale: Optional[str] = None,
                 timeout: float = 600.0) -> None:
        self.upstream = upstream.rstrip("/")
        self.engine = engine
        self.upstream_key = upstream_key
        self.profile = profile
        self.locale = locale
        self.timeout = timeout
        self.metrics = Metrics()
        self._session: Optional[ClientSession] = None

    # -- aiohttp ---------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 << 20)
        app.router.add_post("/v1/chat/completions", self.chat_completions)
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/metrics", self.metrics_page)
        app.on_startup.append(self._start)
        app.on_cleanup.append(self._stop)
        return app

    async def _start(self, _app: web.Application) -> None:
        self._session = ClientSession(timeout=ClientTimeout(total=self.timeout))

    async def _stop(self, _app: web.Application) -> None:
        if self._session is not None:
            await self._session.close()

    async def healthz(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "library": version(),
                                  "upstream": self.upstream})

    async def metrics_page(self, _request: web.Request) -> web.Response:
        return web.Response(text=self.metrics.render(),
                            content_type="text/plain", charset="utf-8")

    # -- checks ----------------------------------------------------------------

    def _check(self, text: str, direction: str, request_id: str) -> Decision:
        start = time.perf_counter()
        decision = self.engine.check(text, direction=direction, profile=self.profile,
                                     locale=self.locale, request_id=request_id)
        self.metrics.check(direction, decision.action, time.perf_counter() - start)
        return decision

    def _check_prompt(self, body: Dict[str, Any], request_id: str
                      ) -> Tuple[Optional[Decision], Dict[str, Any]]:
        """Checks every user message; returns the strongest decision (None
        when there is no user text) and the body to forward (masked)."""
        strongest: Optional[Decision] = None
        messages = body.get("messages")
        if not isinstance(messages, list):
            raise web.HTTPBadRequest(
                text=json.dumps(_error_body("'messages' must be a list", "invalid_request_error")),
                content_type="application/json")
        forwarded = []
        for m, message in enumerate(messages):
            if not isinstance(message, dict) or message.get("role") != "user":
                forwarded.append(message)
                continue
            message = dict(message)
            content = message.get("content")
            for part, text in _texts(content):
                decision = self._check(text, "input", f"{request_id}/m{m}")
                if strongest is None or decision.action > strongest.action:
                    strongest = decision
                if decision.action == Action.MASK:
                    if part is None:
                        content = decision.masked
                    else:
                        content = list(content)
                        content[part] = dict(content[part], text=decision.masked)
            message["content"] = content
            forwarded.append(message)
        return strongest, dict(body, messages=forwarded)

    # -- the endpoint ----------------------------------------------------------

    def _headers(self, request: web.Request) -> Dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self.upstream_key:
            headers["Authorization"] = f"Bearer {self.upstream_key}"
        elif "Authorization" in request.headers:
            headers["Authorization"] = request.headers["Authorization"]
        return headers

    async def chat_completions(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError):
            return web.json_response(_error_body("the body is not JSON", "invalid_request_error"),
                                     status=400)
        if not isinstance(body, dict):
            return web.json_response(_error_body("the body is not a JSON object",
                                                 "invalid_request_error"), status=400)
        stream = bool(body.get("stream"))
        request_id = "chatcmpl-menshen-" + uuid.uuid4().hex
        prompt, forwarded = self._check_prompt(body, request_id)
        info = {"input_action": prompt.action.name if prompt else "ALLOW",
                "input_rule": prompt.rule if prompt else ""}
        if prompt is not None and prompt.action >= Action.REFUSE:
            self.metrics.request(stream, "refused_prompt")
            return await self._refusal(request, stream, request_id, body.get("model", ""),
                                       prompt, info)
        if stream:
            return await self._stream(request, forwarded, request_id, info)
        return await self._whole(request, forwarded, request_id, info)

    async def _refusal(self, request: web.Request, stream: bool, request_id: str, model: str,
                       decision: Decision, info: Dict[str, str]) -> web.StreamResponse:
        created = int(time.time())
        if not stream:
            return web.json_response({
                "id": request_id, "object": "chat.completion", "created": created,
                "model": model,
                "choices": [{"index": 0, "finish_reason": _CONTENT_FILTER,
                             "message": {"role": "assistant", "content": decision.refusal}}],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                "menshen": info})
        response = await _sse_response(request)
        envelope = {"id": request_id, "object": "chat.completion.chunk", "created": created,
                    "model": model}
        await _send(response, dict(envelope, choices=[{
            "index": 0, "delta": {"role": "assistant", "content": decision.refusal},
            "finish_reason": None}]))
        await _send(response, dict(envelope, choices=[{
            "index": 0, "delta": {}, "finish_reason": _CONTENT_FILTER}], menshen=info))
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    async def _whole(self, request: web.Request, body: Dict[str, Any], request_id: str,
                     info: Dict[str, str]) -> web.StreamResponse:
        assert self._session is not None
        try:
            async with self._session.post(self.upstream + "/v1/chat/completions", json=body,
                                          headers=self._headers(request)) as upstream:
                if upstream.status != 200:
                    self.metrics.upstream_errors += 1
                    self.metrics.request(False, "upstream_error")
                    return web.Response(status=upstream.status, body=await upstream.read(),
                                        content_type="application/json")
                answer = await upstream.json(content_type=None)
            if not isinstance(answer, dict):
                raise ValueError("the answer is not a JSON object")
        except (ClientError, asyncio.TimeoutError, ValueError) as e:
            return self._upstream_failed(False, e)
        strongest = Action.ALLOW
        rules = []
        for c, choice in enumerate(answer.get("choices") or []):
            message = choice.get("message") or {}
            content = message.get("content")
            if not isinstance(content, str):
                continue
            decision = self._check(content, "output", f"{request_id}/c{c}")
            strongest = max(strongest, decision.action)
            rules.append(decision.rule)
            if decision.action >= Action.REFUSE:
                message["content"] = decision.refusal
                choice["finish_reason"] = _CONTENT_FILTER
            else:
                message["content"] = _labelled(decision.masked, decision)
        info.update(output_action=strongest.name, output_rules=rules)
        answer["menshen"] = info
        self.metrics.request(False, "refused_answer" if strongest >= Action.REFUSE else "ok")
        return web.json_response(answer)

    def _upstream_failed(self, stream: bool, error: BaseException) -> web.Response:
        self.metrics.upstream_errors += 1
        self.metrics.request(stream, "upstream_error")
        return web.json_response(
            _error_body(f"upstream failed: {type(error).__name__}: {error}", "upstream_error"),
            status=502)

    async def _stream(self, request: web.Request, body: Dict[str, Any], request_id: str,
                      info: Dict[str, str]) -> web.StreamResponse:
        assert self._session is not None
        guards: Dict[int, _ChoiceGuard] = {}
        response: Optional[web.StreamResponse] = None
        envelope: Dict[str, Any] = {"id": request_id, "object": "chat.completion.chunk",
                                    "created": int(time.time()), "model": body.get("model", "")}
        try:
            upstream = await self._session.post(self.upstream + "/v1/chat/completions",
                                                json=body, headers=self._headers(request))
        except (ClientError, asyncio.TimeoutError) as e:
            return self._upstream_failed(True, e)
        try:
            if upstream.status != 200:
                self.metrics.upstream_errors += 1
                self.metrics.request(True, "upstream_error")
                return web.Response(status=upstream.status, body=await upstream.read(),
                                    content_type="application/json")
            response = await _sse_response(request)
            dropped: Optional[str] = None
            try:
                async for chunk in _sse_events(upstream):
                    envelope.update({k: chunk[k] for k in ("created", "model",
                                                           "system_fingerprint") if k in chunk})
                    for choice in chunk.get("choices") or []:
                        index = int(choice.get("index", 0))
                        guard = guards.get(index)
                        if guard is None:
                            guard = guards[index] = self._open_guard(index, request_id)
                            await guard.start(response, envelope)
                        await guard.feed(response, envelope, choice)
                    if guards and all(g.done for g in guards.values()):
                        break  # every choice cut or finished: stop generating
            except (ClientError, asyncio.TimeoutError, ValueError) as e:
                dropped = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
            if dropped is None and not all(g.done for g in guards.values()):
                dropped = "the upstream ended the stream without finishing"
            for guard in guards.values():
                if not guard.done:
                    await guard.end(response, envelope, "stop" if dropped is None else None)
            strongest = max((g.decision.action for g in guards.values() if g.decision),
                            default=Action.ALLOW)
            info.update(output_action=Action(strongest).name,
                        output_rules=[g.decision.rule for g in guards.values() if g.decision])
            if dropped is not None:
                self.metrics.upstream_errors += 1
                self.metrics.request(True, "upstream_dropped")
                await _send(response, {"error": {"message": "upstream stream ended early: "
                                                            + dropped,
                                                 "type": "upstream_error"}, "menshen": info})
            else:
                self.metrics.request(True, "refused_answer" if strongest >= Action.REFUSE
                                     else "ok")
                await _send(response, dict(envelope, choices=[], menshen=info))
                await response.write(b"data: [DONE]\n\n")
            await response.write_eof()
            return response
        finally:
            upstream.close()  # a cut stream closes the connection: generation stops
            for guard in guards.values():
                guard.close()

    def _open_guard(self, index: int, request_id: str) -> "_ChoiceGuard":
        stream = self.engine.stream("output", profile=self.profile, locale=self.locale,
                                    request_id=f"{request_id}/c{index}")
        return _ChoiceGuard(self, index, stream)


class _ChoiceGuard:
    """One choice's answer through one engine stream."""

    def __init__(self, guard: Guard, index: int, stream: Stream) -> None:
        self.guard = guard
        self.index = index
        self.stream = stream
        self.done = False
        self.decision: Optional[Decision] = None
        self.seconds = 0.0
        self.label = ""
        self.label_position = LabelPosition.NONE

    async def start(self, response: web.StreamResponse, envelope: Dict[str, Any]) -> None:
        so_far = self.stream.decision  # the policy's label is known before any text
        self.label, self.label_position = so_far.label, so_far.label_position
        delta = {"role": "assistant"}
        if self.label and self.label_position == LabelPosition.START:
            delta["content"] = self.label
        await self._send(response, envelope, delta, None)

    async def _send(self, response: web.StreamResponse, envelope: Dict[str, Any],
                    delta: Dict[str, Any], finish_reason: Optional[str]) -> None:
        await _send(response, dict(envelope, choices=[{
            "index": self.index, "delta": delta, "finish_reason": finish_reason}]))

    async def feed(self, response: web.StreamResponse, envelope: Dict[str, Any],
                   choice: Dict[str, Any]) -> None:
        if self.done:
            return
        text = (choice.get("delta") or {}).get("content")
        if text:
            start = time.perf_counter()
            try:
                released = self.stream.feed(text)
            except InputTooLargeError as e:  # a limit cut the stream (fails closed)
                released = getattr(e, "released", "")
            self.seconds += time.perf_counter() - start
            if released:
                await self._send(response, envelope, {"content": released}, None)
            if self.stream.cut:
                self._decided()
                refusal = self.decision.refusal if self.decision else ""
                await self._send(response, envelope, {"content": refusal} if refusal else {},
                                 _CONTENT_FILTER)
                return
        if choice.get("finish_reason"):
            await self.end(response, envelope, choice["finish_reason"])

    async def end(self, response: web.StreamResponse, envelope: Dict[str, Any],
                  finish_reason: Optional[str]) -> None:
        """Ends the stream: the held-back rest, checked, then the label (end
        position) and the finish reason. `finish_reason` None: the upstream
        dropped; the rest is released but no finish chunk is sent."""
        start = time.perf_counter()
        rest = self.stream.finish()
        self.seconds += time.perf_counter() - start
        self._decided()
        if self.stream.cut:
            refusal = self.decision.refusal if self.decision else ""
            await self._send(response, envelope, {"content": rest + refusal}, _CONTENT_FILTER)
            return
        if self.label and self.label_position == LabelPosition.END:
            rest += self.label
        if finish_reason is None:
            if rest:
                await self._send(response, envelope, {"content": rest}, None)
            return
        await self._send(response, envelope, {"content": rest} if rest else {}, finish_reason)

    def _decided(self) -> None:
        self.done = True
        self.decision = self.stream.decision
        self.guard.metrics.check("output", self.decision.action, self.seconds)

    def close(self) -> None:
        self.stream.close()


def _error_body(message: str, kind: str) -> Dict[str, Any]:
    return {"error": {"message": message, "type": kind}}


async def _sse_response(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                           "Cache-Control": "no-cache"})
    await response.prepare(request)
    return response


async def _send(response: web.StreamResponse, event: Dict[str, Any]) -> None:
    data = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    await response.write(f"data: {data}\n\n".encode("utf-8"))


async def _sse_events(upstream: Any):
    """The JSON objects of an upstream's server-sent events, until [DONE].
    Raises ValueError on an event that is not JSON."""
    data: List[str] = []
    async for raw in upstream.content:
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if line.startswith("data:"):
            data.append(line[5:].lstrip(" "))
            continue
        if line or not data:
            continue  # comments, other fields; or a blank line between events
        payload, data = "\n".join(data), []
        if payload == "[DONE]":
            return
        event = json.loads(payload)
        if isinstance(event, dict) and "error" in event and "choices" not in event:
            raise ValueError(f"upstream error event: {payload[:200]}")
        yield event
    if data:
        raise ValueError("the upstream stream ended inside an event")


def build_app(upstream: str, packs: Sequence[str] = (), policy: Optional[str] = None,
              profile: Optional[str] = None, locale: Optional[str] = None,
              audit_log: Optional[str] = None, upstream_key: Optional[str] = None,
              audit_text: bool = False) -> web.Application:
    """The aiohttp application of a guard (its Guard is `app["guard"]`)."""
    audit = AuditLog(audit_log) if audit_log else None
    engine = Engine(packs=list(packs), policy=policy, profile=profile, audit_hook=audit,
                    audit_include_text=audit_text, audit_fail_closed=audit is not None)
    guard = Guard(upstream, engine, upstream_key=upstream_key, profile=profile, locale=locale)
    app = guard.app()
    app["guard"] = guard

    async def close(_app: web.Application) -> None:
        engine.close()
        if audit is not None:
            audit.close()
    app.on_cleanup.append(close)
    return app


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m menshen.server",
                                     description="An OpenAI-compatible chat completions "
                                                 "proxy that guards prompts and answers.")
    parser.add_argument("--upstream", required=True,
                        help="the upstream's base URL, e.g. http://127.0.0.1:8000")
    parser.add_argument("--listen", default="127.0.0.1:8080", help="HOST:PORT (127.0.0.1:8080)")
    parser.add_argument("--pack", action="append", default=[],
                        help="a .mspack or pack folder (repeatable; default: the built-in packs)")
    parser.add_argument("--policy", help="a policy.textproto (default: the built-in policy)")
    parser.add_argument("--profile", help="the policy profile to use")
    parser.add_argument("--locale", choices=["zh-CN", "en"],
                        help="refusals' language (default: each text's dominant script)")
    parser.add_argument("--audit-log", help="append one JSON audit record per decision")
    parser.add_argument("--audit-text", action="store_true",
                        help="keep the checked text in audit records")
    parser.add_argument("--upstream-key-env",
                        help="a variable holding the upstream's API key (default: pass the "
                             "client's Authorization header on)")
    args = parser.parse_args(argv)
    host, _, port = args.listen.rpartition(":")
    if not host or not port.isdigit():
        parser.error("--listen takes HOST:PORT")
    key = os.environ.get(args.upstream_key_env) if args.upstream_key_env else None
    try:
        app = build_app(args.upstream, args.pack, args.policy, args.profile, args.locale,
                        args.audit_log, key, args.audit_text)
    except Exception as e:  # a bad pack or policy: one line, exit 2
        print(f"menshen.server: {e}", file=sys.stderr)
        return 2
    web.run_app(app, host=host, port=int(port), print=lambda *a: print(*a, file=sys.stderr))
    return 0


if __name__ == "__main__":
    sys.exit(main())
