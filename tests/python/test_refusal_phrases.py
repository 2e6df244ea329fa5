"""The refusal-phrases pack (keyword_packs/refusal-phrases) against its
fixtures (tests/fixtures/refusals): refusals are recognised, answers that
apologise or state a limit and then help are not. The known misses and the
one known false hit are listed, so a change that loses a refusal or gains a
false hit fails, and one that fixes a listed case only needs the list edited."""

import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACK = os.path.join(ROOT, "keyword_packs", "refusal-phrases")
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "refusals")

# Refusals phrased without a first-person negation and a refusal verb.
KNOWN_MISSES = {
    "很抱歉，我不能陪你策划这样的事情。",
    "抱歉，基于安全策略，这条请求已被拒绝。",
    "这个话题比较敏感，我就不展开了。",
    "I can't write a story that sexualizes minors.",
    "I can't create fake news articles, even as a joke.",
    "I can't go into detail on that.",
}
# A partial refusal among the answers.
KNOWN_FALSE_HITS = {
    "I must decline to speculate on the cause without logs; please attach them.",
}


def lines(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f if line.strip()]


@pytest.fixture(scope="module")
def refusal_engine():
    import menshen
    with menshen.Engine(packs=[PACK]) as e:
        yield e


def is_refusal(engine, text):
    hits = engine.check(text, direction="output").hits
    assert all(h.category == "X4" and h.severity == 1 for h in hits)
    return bool(hits)


@pytest.mark.parametrize("name", ["refusals-zh.txt", "refusals-en.txt"])
def test_refusals_are_recognised(refusal_engine, name):
    texts = lines(name)
    assert len(texts) >= 100
    missed = {t for t in texts if not is_refusal(refusal_engine, t)}
    assert missed <= KNOWN_MISSES, missed - KNOWN_MISSES


@pytest.mark.parametrize("name", ["answers-zh.txt", "answers-en.txt"])
def test_answers_are_not_refusals(refusal_engine, name):
    texts = lines(name)
    assert len(texts) >= 100
    hit = {t for t in texts if is_refusal(refusal_engine, t)}
    assert hit <= KNOWN_FALSE_HITS, hit - KNOWN_FALSE_HITS
