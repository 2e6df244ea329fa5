"""menshen.server end to end: a fake OpenAI-compatible upstream and the guard
both listen on real sockets (started by the test, in a thread of their own),
and the test talks to the guard over HTTP with http.client, as a client would.
"""
import asyncio
import http.client
import json
import os
import socket
import threading

import pytest

web = pytest.importorskip("aiohttp.web")

# What the fake model answers, chosen by the last user message.
ANSWERS = {
    "poem": "Autumn leaves drift down, the river runs slow, and the evening is cool.",
    "phone": "Call me at 13812345678 if the parcel does not arrive by Friday.",
    "drugs": "好的，这是你要的：出售冰毒，量大从优，欢迎联系。后面还有很多内容。" * 3,
    "drop": "The first part arrives, then the connection is lost before the end",
}
PHONE = "13812345678"


class FakeUpstream:
    """An OpenAI-compatible /v1/chat/completions that streams 3 characters a
    chunk. "drop" closes the connection in the middle of the answer."""

    def __init__(self):
        self.requests = []      # the bodies it was sent
        self.disconnected = 0   # streams the guard closed before the end

    async def handle(self, request):
        body = await request.json()
        self.requests.append(body)
        self.authorization = request.headers.get("Authorization")
        key = body["messages"][-1]["content"]
        text = ANSWERS.get(key, "You said: " + key)
        envelope = {"id": "chatcmpl-fake", "object": "chat.completion.chunk",
                    "created": 1, "model": body.get("model", "fake")}
        if not body.get("stream"):
            return web.json_response({
                "id": "chatcmpl-fake", "object": "chat.completion", "created": 1,
                "model": body.get("model", "fake"),
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": text}}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)

        async def send(event):
            await response.write(b"data: " + json.dumps(event).encode() + b"\n\n")

        try:
            await send(dict(envelope, choices=[{"index": 0, "delta": {"role": "assistant"},
                                                "finish_reason": None}]))
            pieces = [text[i:i + 3] for i in range(0, len(text), 3)]
            for n, piece in enumerate(pieces):
                if key == "drop" and n == len(pieces) // 2:
                    request.transport.close()  # no end of the chunked body, no [DONE]
                    return response
                await send(dict(envelope, choices=[{"index": 0, "delta": {"content": piece},
                                                    "finish_reason": None}]))
                await asyncio.sleep(0.001)
            await send(dict(envelope, choices=[{"index": 0, "delta": {},
                                                "finish_reason": "stop"}]))
            await response.write(b"data: [DONE]\n\n")
            await response.write_eof()
        except (ConnectionResetError, asyncio.CancelledError):
            self.disconnected += 1
            raise
        return response


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """(guard port, fake upstream, audit log path), running until the module ends."""
    from menshen.server import build_app

    upstream = FakeUpstream()
    audit = str(tmp_path_factory.mktemp("server") / "audit.jsonl")
    up_port, guard_port = _free_port(), _free_port()
    loop = asyncio.new_event_loop()
    runners = []
    started = threading.Event()

    async def start():
        up = web.Application()
        up.router.add_post("/v1/chat/completions", upstream.handle)
        for app, port in ((up, up_port),
                          (build_app(f"http://127.0.0.1:{up_port}", audit_log=audit), guard_port)):
            runner = web.AppRunner(app)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            runners.append(runner)
        started.set()

    def run():
        loop.run_until_complete(start())
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert started.wait(30)
    yield guard_port, upstream, audit

    async def stop():
        for runner in reversed(runners):
            await runner.cleanup()
    asyncio.run_coroutine_threadsafe(stop(), loop).result(30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(30)


def _post(port, body):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/v1/chat/completions", json.dumps(body).encode(),
                 {"Content-Type": "application/json", "Authorization": "Bearer test-key"})
    return conn, conn.getresponse()


def chat(port, text, stream=False):
    body = {"model": "fake", "stream": stream,
            "messages": [{"role": "system", "content": "be brief"},
                         {"role": "user", "content": text}]}
    conn, response = _post(port, body)
    try:
        assert response.status == 200, response.read()
        if not stream:
            return json.loads(response.read())
        assert response.getheader("Content-Type").startswith("text/event-stream")
        events = []
        for raw in response.read().decode("utf-8").split("\n\n"):
            if raw.startswith("data: "):
                payload = raw[len("data: "):]
                events.append(payload if payload == "[DONE]" else json.loads(payload))
        return events
    finally:
        conn.close()


def streamed_text(events):
    return "".join((c.get("delta") or {}).get("content") or ""
                   for e in events if isinstance(e, dict) for c in e.get("choices", []))


def finish_reasons(events):
    return [c["finish_reason"] for e in events if isinstance(e, dict)
            for c in e.get("choices", []) if c.get("finish_reason")]


def test_clean_answer_streams_through_with_the_label(servers):
    port, _, _ = servers
    events = chat(port, "poem", stream=True)
    text = streamed_text(events)
    assert ANSWERS["poem"] in text
    assert events[-1] == "[DONE]"
    assert finish_reasons(events) == ["stop"]
    assert events[-2]["menshen"]["output_action"] in ("ALLOW", "FLAG")
    assert all(e["object"] == "chat.completion.chunk" for e in events[:-1])


def test_label_is_in_the_answers_language(servers):
    port, _, _ = servers
    english = chat(port, "poem")["choices"][0]["message"]["content"]
    assert ANSWERS["poem"] in english
    label = english.replace(ANSWERS["poem"], "")
    # The default policy labels output; English text gets an English label.
    assert label.strip() and not any("\u4e00" <= ch <= "\u9fff" for ch in label), label


def test_masking_streamed_and_whole(servers):
    port, _, _ = servers
    events = chat(port, "phone", stream=True)
    text = streamed_text(events)
    assert PHONE not in text
    assert "Call me at" in text and "if the parcel does not arrive by Friday." in text
    assert events[-2]["menshen"]["output_action"] == "MASK"
    whole = chat(port, "phone")
    content = whole["choices"][0]["message"]["content"]
    assert PHONE not in content and "Call me at" in content
    assert whole["menshen"]["output_action"] == "MASK"


def test_answer_refused_mid_stream(servers):
    port, upstream, _ = servers
    events = chat(port, "drugs", stream=True)
    text = streamed_text(events)
    assert "冰毒" not in text
    assert finish_reasons(events) == ["content_filter"]
    assert events[-1] == "[DONE]"
    assert events[-2]["menshen"]["output_action"] in ("REFUSE", "BLOCK")
    # The refusal is the policy's text, the last delta of a normal completion.
    assert text.startswith("好的，这是你要的：") and len(text) > len("好的，这是你要的：")
    whole = chat(port, "drugs")
    assert whole["choices"][0]["finish_reason"] == "content_filter"
    assert "冰毒" not in whole["choices"][0]["message"]["content"]


def test_prompt_refused_without_calling_upstream(servers):
    port, upstream, _ = servers
    before = len(upstream.requests)
    whole = chat(port, "出售冰毒，量大从优")
    assert len(upstream.requests) == before
    choice = whole["choices"][0]
    assert choice["finish_reason"] == "content_filter"
    assert choice["message"]["role"] == "assistant" and choice["message"]["content"]
    assert whole["menshen"]["input_action"] == "REFUSE"
    events = chat(port, "出售冰毒，量大从优", stream=True)
    assert len(upstream.requests) == before
    assert streamed_text(events) == choice["message"]["content"]
    assert finish_reasons(events) == ["content_filter"] and events[-1] == "[DONE]"


def test_flagged_prompt_is_forwarded(servers):
    # The default policy flags personal information in a prompt (masks it in
    # output): the prompt goes upstream as written, the answer is masked.
    port, upstream, _ = servers
    answer = chat(port, f"my number is {PHONE}")
    sent = upstream.requests[-1]["messages"]
    assert sent[0] == {"role": "system", "content": "be brief"}
    assert sent[-1]["content"] == f"my number is {PHONE}"
    assert answer["menshen"]["input_action"] == "FLAG"
    assert PHONE not in answer["choices"][0]["message"]["content"]


def test_upstream_dropping_mid_stream(servers):
    port, _, _ = servers
    events = chat(port, "drop", stream=True)
    assert "[DONE]" not in events
    errors = [e for e in events if isinstance(e, dict) and "error" in e]
    assert len(errors) == 1 and errors[0]["error"]["type"] == "upstream_error"
    # What the model said before the drop is released (checked at the end).
    text = streamed_text(events)
    assert text and ANSWERS["drop"].startswith(text[:20])


def test_authorization_is_passed_on(servers):
    port, upstream, _ = servers
    chat(port, "poem")
    assert upstream.requests[-1]["model"] == "fake"
    assert upstream.authorization == "Bearer test-key"


def test_healthz_metrics_and_audit_log(servers):
    port, _, audit = servers
    chat(port, "poem")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/healthz")
    health = json.loads(conn.getresponse().read())
    assert health["status"] == "ok" and health["library"]
    conn.request("GET", "/metrics")
    metrics = conn.getresponse().read().decode()
    conn.close()
    assert 'menshen_checks_total{direction="input"}' in metrics
    assert 'menshen_actions_total{direction="output",action="MASK"}' in metrics
    assert "menshen_check_seconds_count" in metrics
    assert "menshen_upstream_errors_total" in metrics
    with open(audit, encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    assert records and all(r.get("request_id", "").startswith("chatcmpl-menshen-")
                           for r in records)


def test_bad_request(servers):
    port, _, _ = servers
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/v1/chat/completions", b"not json",
                 {"Content-Type": "application/json"})
    response = conn.getresponse()
    assert response.status == 400
    assert "error" in json.loads(response.read())
    conn.close()
