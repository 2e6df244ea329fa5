import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The package from the source tree unless an installed one is being tested.
if os.environ.get("MENSHEN_TEST_INSTALLED") != "1":
    sys.path.insert(0, os.path.join(ROOT, "bindings", "python"))


@pytest.fixture(scope="session")
def root():
    return ROOT


@pytest.fixture(scope="session")
def starter():
    return os.path.join(ROOT, "keyword_packs", "starter")


@pytest.fixture(scope="session")
def engine():
    """The embedded default packs (risk-a1..risk-a5, pii-zh, secrets,
    prompt-injection, abuse-zh, abuse-en, intent-zh, intent-en) and the default
    policy."""
    import menshen
    with menshen.Engine() as e:
        yield e
