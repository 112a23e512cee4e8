"""Upgrades fail loudly: when an SDK's internals change under capture, it says so once instead of recording nothing."""

from __future__ import annotations

from typing import Any

import openai
import pytest

import agentdbg
from agentdbg.capture import clients, compat
from agentdbg.testing import reply
from tests.capture.conftest import OPENAI_KEY, llm_steps, load


@pytest.fixture(autouse=True)
def _fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compat, "_warned", set())
    monkeypatch.setattr(compat, "_PENDING", [])


def _warning_steps(trace: Any) -> list[Any]:
    return [s for s in trace.spans if s.error is not None and s.error.type == compat.NOT_HOOKED]


def test_the_tested_sdks_hook_cleanly(server: Any) -> None:
    client = openai.OpenAI(base_url=server.base_url + "/v1", api_key=OPENAI_KEY)
    assert compat.unhookable_reason(client) is None


def test_a_hook_that_breaks_at_call_time_warns_once_and_the_call_still_works(
    server: Any, trace_path: Any, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    client = agentdbg.wrap_openai(openai.OpenAI(base_url=server.base_url + "/v1", api_key=OPENAI_KEY))

    def renamed(http_client: Any) -> None:  # what a release renaming the SDK's httpx client looks like
        raise AttributeError("'OpenAI' object has no attribute '_client'")

    monkeypatch.setattr(clients, "_install_hooks", renamed)
    server.enqueue(reply("one"), reply("two"))
    messages = [{"role": "user", "content": "hi"}]
    with agentdbg.trace("upgraded", path=trace_path):
        first = client.chat.completions.create(model="gpt-4o", messages=messages)
        second = client.chat.completions.create(model="gpt-4o", messages=messages)
    assert (first.choices[0].message.content, second.choices[0].message.content) == ("one", "two")
    err = capfd.readouterr().err
    assert err.count("agentdbg: cannot record openai calls") == 1
    assert "NOT recorded" in err and "no attribute '_client'" in err
    trace = load(trace_path)
    assert llm_steps(trace) == []  # nothing recorded, and the trace says why
    (step,) = _warning_steps(trace)
    assert "no attribute '_client'" in step.error.message and step.status == "error"


def test_a_client_whose_request_signature_changed_is_left_alone_and_the_next_trace_says_so(
    trace_path: Any, capfd: pytest.CaptureFixture[str], server: Any
) -> None:
    class FutureClient:  # request() lost its positional (cast_to, options): swapping it in would break calls
        def __init__(self) -> None:
            self._client = openai.DefaultHttpxClient()

        def request(self, options: Any, *, cast_to: Any = None) -> Any:
            return options

    future = FutureClient()
    assert agentdbg.wrap_openai(future) is future and type(future) is FutureClient
    assert "expects (cast_to, options, ...)" in capfd.readouterr().err
    client = agentdbg.wrap_openai(openai.OpenAI(base_url=server.base_url + "/v1", api_key=OPENAI_KEY))
    server.enqueue(reply("fine"))
    with agentdbg.trace("later", path=trace_path):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    trace = load(trace_path)
    assert len(llm_steps(trace)) == 1  # the supported client records as ever
    (step,) = _warning_steps(trace)  # and the earlier warning reached the trace
    assert "request() takes (options, cast_to, ...)" in step.error.message
