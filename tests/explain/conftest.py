"""Fixtures for explain tests: distinctive test keys in the environment and a scripted local server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agentdbg.testing.llm_server import FakeLLMServer

# Not key-shaped (the suite-wide scan stays meaningful), but distinctive enough to search request bodies for.
TEST_KEY = "test-key-explain-7f3a9c"


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", TEST_KEY)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    monkeypatch.delenv("AGENTDBG_EXPLAIN_MODEL", raising=False)
    return TEST_KEY


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer(seed=11) as running:
        yield running


def base_url(server: FakeLLMServer, provider: str) -> str:
    """The URL the SDK of ``provider`` is given: OpenAI's includes ``/v1``."""
    return server.base_url + ("/v1" if provider == "openai" else "")
