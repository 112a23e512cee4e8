"""Ask a model for the structured explanation through the official SDK, retrying once on an invalid answer.

OpenAI (chat completions) is asked for a JSON object (``response_format: json_object``,
which OpenAI-compatible servers widely support); Anthropic is forced to call one tool
whose input schema is the answer's. Either way a text answer holding JSON is accepted too.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from agentdbg.errors import ProviderChoiceError
from agentdbg.explain.answer import ModelAnswer, answer_schema, parse_answer
from agentdbg.explain.errors import ExplainError, InvalidAnswerError
from agentdbg.explain.evidence import Evidence
from agentdbg.explain.prompt import ANSWER_TOOL, evidence_message, instructions, retry_message
from agentdbg.model.apis import ANTHROPIC_MESSAGES, OPENAI_CHAT
from agentdbg.model.trace import Trace
from agentdbg.providers import ProviderAdapter, ToolResult, adapter_for

PROVIDERS = ("openai", "anthropic")
DEFAULT_MODELS = {"openai": "gpt-4.1", "anthropic": "claude-sonnet-4-6"}
MODEL_ENV = "AGENTDBG_EXPLAIN_MODEL"
KEY_ENV = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}
_API = {"openai": OPENAI_CHAT, "anthropic": ANTHROPIC_MESSAGES}
MAX_OUTPUT_TOKENS = 8192


class Asked(BaseModel):
    """The validated answer and how it was obtained."""

    answer: ModelAnswer
    provider: str
    model: str
    attempts: int
    first_errors: list[str] = Field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0


def recorded_provider(trace: Trace) -> str | None:
    """The provider of the trace's first llm step (``openai``/``anthropic``), if any."""
    for span in trace.llm_spans:
        view = span.llm
        if view is not None and view.provider in PROVIDERS:
            return view.provider
    return None


def choose_provider(trace: Trace, provider: str | None) -> str:
    """``provider`` if given; else the recorded provider when its key is set, else the other one with a key.

    Raises:
        ProviderChoiceError: for an unknown ``provider``.
    """
    if provider:
        if provider not in PROVIDERS:
            raise ProviderChoiceError(
                f"--provider {provider!r} is not supported", hint=f"use one of: {', '.join(PROVIDERS)}"
            )
        return provider
    recorded = recorded_provider(trace) or "openai"
    order = [recorded, *(name for name in PROVIDERS if name != recorded)]
    for name in order:
        if os.environ.get(KEY_ENV[name], "").strip():
            return name
    return recorded


def _first_request(provider: str, model: str, evidence: Evidence) -> dict[str, Any]:
    user = {"role": "user", "content": evidence_message(evidence)}
    if provider == "openai":
        return {
            "model": model,
            "messages": [{"role": "system", "content": instructions()}, user],
            "response_format": {"type": "json_object"},
        }
    return {
        "model": model,
        "max_tokens": MAX_OUTPUT_TOKENS,
        "system": instructions(),
        "messages": [user],
        "tools": [
            {
                "name": ANSWER_TOOL,
                "description": "Submit the explanation of the failure and the candidate fixes.",
                "input_schema": answer_schema(),
            }
        ],
        "tool_choice": {"type": "tool", "name": ANSWER_TOOL},
    }


def _raw_answer(adapter: ProviderAdapter, response: dict[str, Any]) -> Any:
    """The forced tool call's input when there is one, else the answer text."""
    for call in adapter.tool_calls(response):
        if call.name == ANSWER_TOOL:
            return call.arguments
    return adapter.final_text(response)


def _retry_request(
    adapter: ProviderAdapter, request: dict[str, Any], response: dict[str, Any], errors: list[str]
) -> dict[str, Any]:
    """The conversation continued with the invalid answer and the validation errors."""
    calls = [call for call in adapter.tool_calls(response) if call.name == ANSWER_TOOL]
    if calls and adapter.api == ANTHROPIC_MESSAGES:
        results = [ToolResult(call, retry_message(errors), is_error=True) for call in calls]
        return adapter.append_turn(request, response, results)
    following = adapter.append_turn(request, response, [])
    following["messages"].append({"role": "user", "content": retry_message(errors)})
    return following


def _describe(raw: Any) -> str:
    text = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False, default=str)
    return text[:2000]


def ask_model(
    trace: Trace,
    evidence: Evidence,
    *,
    provider: str,
    model: str | None = None,
    base_url: str | None = None,
    max_retries: int = 2,
    timeout: float = 300.0,
    on_progress: Callable[[str], None] | None = None,
) -> Asked:
    """Send the evidence to the model and return its validated answer (one retry with the errors).

    Raises:
        MissingApiKeyError: the provider's key is not set (checked before anything is sent).
        ExplainError: the API call failed.
        InvalidAnswerError: the answer did not validate, twice.
    """
    adapter = adapter_for(_API[provider])
    client = adapter.build_client(base_url, max_retries=max_retries, timeout=timeout)
    chosen_model = model or os.environ.get(MODEL_ENV, "").strip() or DEFAULT_MODELS[provider]
    request = _first_request(provider, chosen_model, evidence)
    if on_progress is not None:
        on_progress(
            f"asking {provider} model {chosen_model} about {evidence.target_step} "
            f"(~{evidence.estimated_tokens:,} tokens of evidence)"
        )
    raws: list[str] = []
    all_errors: list[list[str]] = []
    tokens = [0, 0]
    for attempt in (1, 2):
        try:
            sent = adapter.send(client, request)
        except Exception as exc:  # noqa: BLE001 - any SDK/HTTP failure becomes one clear error
            raise ExplainError(
                f"asking {provider} model {chosen_model} failed: {type(exc).__name__}: {exc}",
                hint="check --model, --base-url and the key; `agentdbg diagnose` works offline",
            ) from None
        if sent.usage is not None:
            tokens[0] += sent.usage.input_tokens or 0
            tokens[1] += sent.usage.output_tokens or 0
        raw = _raw_answer(adapter, sent.response)
        raws.append(_describe(raw))
        answer, errors = parse_answer(raw, trace)
        if answer is not None:
            return Asked(
                answer=answer,
                provider=provider,
                model=chosen_model,
                attempts=attempt,
                first_errors=all_errors[0] if all_errors else [],
                input_tokens=tokens[0],
                output_tokens=tokens[1],
            )
        all_errors.append(errors)
        if attempt == 1:
            request = _retry_request(adapter, request, sent.response, errors)
    last = all_errors[-1]
    raise InvalidAnswerError(
        f"the model's answer did not validate, even after a retry with the errors: {'; '.join(last[:5])}",
        hint="try another --model; `agentdbg diagnose` gives the offline findings",
        errors=last,
        raw=raws,
    )


__all__ = [
    "DEFAULT_MODELS",
    "KEY_ENV",
    "PROVIDERS",
    "Asked",
    "ProviderChoiceError",
    "ask_model",
    "choose_provider",
]
