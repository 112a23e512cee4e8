"""Fixtures for replay tests: a scripted local server, test keys in the environment, recorded runs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agentdbg.testing.llm_server import FakeLLMServer


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer(seed=7) as running:
        yield running


@pytest.fixture(autouse=True)
def test_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys the SDKs need; any value works for the local server. Base URLs from the host are ignored."""
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)


def base_url(server: FakeLLMServer, api: str) -> str:
    """The URL the SDK of ``api`` is given: OpenAI's includes ``/v1``."""
    return server.base_url + ("/v1" if api.startswith("openai") else "")
