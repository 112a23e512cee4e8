"""Looping runs written to real trace files, scripted model answers, and a responder that plays both roles.

The same FakeLLMServer answers the explain request (the evidence) with a scripted JSON
answer, and the verification replays like a model that stops looping once the fix is in
its prompt, so a fork really differs from the original.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agentdbg.testing.llm_server import RecordedRequest, Reply, reply, tool_call_reply
from tests.analysis.builders import SEARCH_DOCS, WEATHER, Run

FIX_TEXT = "If a search finds nothing, say so at once; never repeat a search with the same query."
SYSTEM = "You are a helpful assistant. Use tools when needed."
QUESTION = "How do I rotate an API key?"
NO_RESULTS = "No results found."
EVIDENCE_MARK = "Evidence of the failed run"


def looping_run(provider: str = "openai") -> Run:
    """search_docs called three times with the same query, then a give-up answer (steps 1–7)."""
    run = Run(
        provider=provider,
        model="gpt-4o" if provider == "openai" else "claude-3-5-sonnet-20241022",
        tools=[SEARCH_DOCS, WEATHER],
        system=SYSTEM,
    )
    run.user(QUESTION)
    for _ in range(3):
        run.call_tool("search_docs", {"query": "rotate an API key"}, NO_RESULTS)
    run.llm("Sorry, I could not find it.")
    return run


def write_loop(directory: Path, provider: str = "openai", name: str = "run.jsonl") -> Path:
    return looping_run(provider).write(directory / name)


def system_fix(step: str = "step-3") -> dict[str, Any]:
    return {
        "kind": "system-prompt",
        "step": step,
        "title": "Tell the model to stop after an empty search",
        "patch": [{"op": "replace", "path": "/system", "value": FIX_TEXT}],
        "rationale": "The model repeats the same search because nothing tells it that an empty result is final.",
    }


def temperature_fix(step: str = "step-1") -> dict[str, Any]:
    return {
        "kind": "parameter",
        "step": step,
        "title": "Deterministic sampling",
        "patch": [{"op": "add", "path": "/params/temperature", "value": 0}],
        "rationale": "Lower temperature (this one does not address the loop).",
    }


def answer(*fixes: dict[str, Any], failure_step: Any = "step-3") -> dict[str, Any]:
    """A model answer in the schema explain asks for."""
    return {
        "failure_step": failure_step,
        "root_cause": "search_docs returns 'No results found.' and the model retries the same query instead of "
        "telling the user; nothing in the system prompt says an empty result is final.",
        "failure_pattern": "loop",
        "fixes": list(fixes) or [system_fix()],
    }


def is_explain(request: RecordedRequest) -> bool:
    return EVIDENCE_MARK in json.dumps(request.json)


def agent_reply(request: RecordedRequest) -> Reply:
    """The agent's model during a replay: answers at once when the fix is in its prompt, else searches again."""
    if FIX_TEXT in json.dumps(request.json):
        return reply("The documentation does not cover rotating an API key.")
    return tool_call_reply("search_docs", {"query": "rotate an API key"})


def responder(explain_replies: list[Reply]) -> Callable[[RecordedRequest], Reply]:
    """Explain requests take ``explain_replies`` in order; every other request is the agent's model."""
    queue = list(explain_replies)

    def answer_request(request: RecordedRequest) -> Reply:
        if is_explain(request):
            return queue.pop(0)
        return agent_reply(request)

    return answer_request


def json_reply(value: Any) -> Reply:
    """A text answer holding ``value`` as JSON (OpenAI json_object mode)."""
    return reply(json.dumps(value))


def explain_requests(requests: list[RecordedRequest]) -> list[RecordedRequest]:
    return [request for request in requests if is_explain(request)]
