"""Errors and retries: every attempt visible, errors recorded, the original exception re-raised unchanged."""

from __future__ import annotations

import anthropic
import openai
import pytest

import agentdbg
from agentdbg.testing.llm_server import FakeLLMServer, error_reply, reply

from .conftest import llm_steps, load

MESSAGES = [{"role": "user", "content": "hi"}]


def test_retried_5xx_and_429_then_success(server, oai, trace_path):
    server.enqueue(
        error_reply(500, "boom", retry_after=0.01), error_reply(429, "slow down", retry_after=0.01)
    )
    server.enqueue(reply("finally"))
    with agentdbg.trace("retry", path=trace_path):
        out = oai.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert out.choices[0].message.content == "finally" and len(server.requests) == 3
    (step,) = llm_steps(load(trace_path))
    assert step.status == "ok" and step.attributes["attempt"] == 3
    assert [r["status_code"] for r in step.attributes["retries"]] == [500, 429]
    assert step.attributes["request_id"] == server.requests[-1].request_id


def test_4xx_recorded_and_original_exception_reraised(server, oai, ant, trace_path):
    server.enqueue(error_reply(400, "messages: must not be empty", code="invalid_value"))
    server.enqueue(error_reply(404, "model not found"))
    with agentdbg.trace("errors", path=trace_path):
        with pytest.raises(openai.BadRequestError) as caught:
            oai.chat.completions.create(model="gpt-4o", messages=MESSAGES)
        with pytest.raises(anthropic.NotFoundError) as not_found:
            ant.messages.create(model="claude-nope", max_tokens=5, messages=MESSAGES)
    assert len(server.requests) == 2  # 4xx is not retried
    chat, claude = llm_steps(load(trace_path))
    assert chat.status == "error" and chat.error.type == "BadRequestError"
    assert chat.error.status_code == 400 and chat.error.body["code"] == "invalid_value"
    assert chat.error.message == str(caught.value) and chat.attributes["attempt"] == 1
    assert "retries" not in chat.attributes
    assert claude.error.type == "NotFoundError" and claude.error.status_code == 404
    assert claude.error.body == not_found.value.body and claude.attributes["request_id"]


def test_retries_exhausted(server, oai, trace_path):
    server.enqueue(*[error_reply(503, "unavailable", retry_after=0.01)] * 3)
    with agentdbg.trace("errors", path=trace_path), pytest.raises(openai.InternalServerError):
        oai.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    (step,) = llm_steps(load(trace_path))
    assert step.attributes["attempt"] == 3 and len(step.attributes["retries"]) == 2
    assert step.error.status_code == 503


def test_connection_error_recorded(trace_path):
    with FakeLLMServer() as gone:
        url = gone.base_url
    client = agentdbg.wrap_openai(openai.OpenAI(base_url=url + "/v1", api_key="k", max_retries=1))
    with agentdbg.trace("down", path=trace_path), pytest.raises(openai.APIConnectionError):
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    (step,) = llm_steps(load(trace_path))
    assert step.error.type == "APIConnectionError" and step.attributes["attempt"] == 2
    assert "no response" in step.attributes["retries"][0]["error"]


def test_local_exception_in_the_agent_does_not_confuse_recording(server, oai, trace_path):
    server.enqueue(reply("ok"))
    with (
        pytest.raises(KeyError),
        agentdbg.trace("crashy", path=trace_path),
        agentdbg.span("plan", kind="agent"),
    ):
        oai.chat.completions.create(model="gpt-4o", messages=MESSAGES)
        raise KeyError("missing")
    plan, llm, escaped = load(trace_path).spans
    assert plan.status == "error" and plan.error.type == "KeyError" and llm.status == "ok"
    assert escaped.attributes["run_error"] and escaped.error.type == "KeyError"  # the run's own record of it
