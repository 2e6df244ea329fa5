#!/usr/bin/python3
"""A streaming guard around a model's token stream.

A fake generator stands in for the model (or an OpenAI-compatible streaming
client): it yields chat-completion chunks a few characters at a time. The
guard passes on only text the engine has released -- masked where the policy
masks, and cut off with a refusal when it refuses or blocks, at which point
the generator is closed so the model stops generating.

    MENSHEN_LIBRARY=build/lib/libmenshen.so PYTHONPATH=bindings/python \\
        /usr/bin/python3 examples/python/streaming_guard.py [PACK ...]
"""
import asyncio
import sys

import menshen

COMPLETIONS = [
    "Autumn leaves drift down, the river runs slow, and the evening is cool.",
    "Call me at 13812345678 if the parcel does not arrive by Friday.",
    "好的，这是你要的：出售冰毒，量大从优，欢迎联系。后面还有很多内容……" * 3,
]


def fake_model(text, size=4):
    """Yields OpenAI-style chat.completion.chunk dicts, `size` characters each."""
    yield {"choices": [{"index": 0, "delta": {"role": "assistant"}}]}
    for i in range(0, len(text), size):
        yield {"choices": [{"index": 0, "delta": {"content": text[i:i + size]}}]}
    yield {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}


async def fake_model_async(text, size=4):
    for chunk in fake_model(text, size):
        await asyncio.sleep(0)  # a network read would be here
        yield chunk


def main(packs):
    audit = []
    with menshen.Engine(packs=packs, audit_hook=audit.append) as engine:
        for n, text in enumerate(COMPLETIONS, 1):
            guarded = engine.guard(fake_model(text), direction="output", request_id=f"c{n}")
            shown = "".join(guarded)
            d = guarded.decision
            print(f"[{n}] {d.action.name:6} {d.rule}")
            print(f"    shown: {shown}")
            if d.label:
                print(f"    label: {d.label} ({d.label_position.name.lower()})")

        async def with_async():
            guarded = engine.guard(fake_model_async(COMPLETIONS[1]), direction="output")
            return "".join([t async for t in guarded]), guarded.decision

        shown, d = asyncio.run(with_async())
        print(f"[async] {d.action.name} shown: {shown}")
    print(f"{len(audit)} audit records; last: {audit[-1].json[:80]}...")


if __name__ == "__main__":
    main(sys.argv[1:])
