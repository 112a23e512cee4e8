"""The shape every provider adapter shares: build an SDK client, send a request, continue a tool loop."""

from __future__ import annotations

import copy
import importlib
import inspect
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from agentdbg.errors import MissingApiKeyError
from agentdbg.model.records import Usage
from agentdbg.model.views import usage_from_response
from agentdbg.secrets import register_secret
from agentdbg.wire import Codec

# Request keys that only matter for streaming; replay always sends non-streaming.
STREAM_KEYS = ("stream", "stream_options")


@dataclass
class ToolCall:
    """One tool call the model asked for: id, name, parsed arguments (raw string kept when invalid)."""

    call_id: str | None
    name: str
    arguments: Any
    arguments_raw: str | None = None


@dataclass
class ToolResult:
    """The answer to one tool call, as text the model will see, plus whether it is an error."""

    call: ToolCall
    content: str
    is_error: bool = False


@dataclass
class SendResult:
    """What came back from one request: the response dict, neutral usage and the SDK call's latency."""

    response: dict[str, Any]
    usage: Usage | None
    latency: float
    request_id: str | None = None


@dataclass
class SequenceProblem:
    """Why a request's message sequence is not valid for its API (for a clear error)."""

    index: int
    reason: str
    extra: dict[str, Any] = field(default_factory=dict)


def result_text(value: Any) -> str:
    """A tool result as the text a model sees: strings as they are, anything else as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def edit_first(
    request: dict[str, Any], key: str, items: list[Any], edit: Callable[[dict[str, Any]], bool]
) -> dict[str, Any] | None:
    """A copy of ``request`` whose ``key`` is a copy of ``items`` with the first item ``edit`` changes changed;
    ``None`` when ``edit`` changes none (it returns whether it changed the item it was given)."""
    copied = copy.deepcopy(items)
    for item in copied:
        if isinstance(item, dict) and edit(item):
            return {**request, key: copied}
    return None


def drop_none(value: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``value`` without keys whose value is ``None`` (SDK dumps carry many)."""
    return {key: item for key, item in value.items() if item is not None}


_CLIENTS: dict[tuple[Any, ...], Any] = {}


@lru_cache(maxsize=16)
def _parameter_names(function: Any) -> frozenset[str]:
    try:
        return frozenset(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return frozenset()


def _parameters(method: Any) -> frozenset[str] | None:
    """Keyword arguments the SDK method accepts (cached per SDK function); ``None`` if unknown."""
    return _parameter_names(getattr(method, "__func__", method)) or None


class ProviderAdapter:
    """One API (``openai.chat.completions``, ``openai.responses``, ``anthropic.messages``).

    Subclasses fill in the wire-format specifics; this base holds the shared flow.
    """

    codec: Codec  # the wire format of ``api`` (parsing and building its requests and responses)
    api: str = ""
    provider: str = ""
    key_env: str = ""
    base_url_env: str = ""
    client_class: str = ""  # the SDK's client class, in the module named by ``provider``

    # ---------------------------------------------------------------- client

    def api_key(self) -> str:
        """The key from the environment.

        Raises:
            MissingApiKeyError: naming the variable, before anything is sent.
        """
        key = os.environ.get(self.key_env, "").strip()
        if not key:
            raise MissingApiKeyError(
                f"{self.key_env} is not set: replaying {self.api} needs an API key",
                hint=f"export {self.key_env}=... (any value works for a local server speaking the {self.api} API, "
                "e.g. python -m agentdbg.testing)",
            )
        return key

    def build_client(
        self, base_url: str | None = None, *, max_retries: int = 2, timeout: float = 600.0
    ) -> Any:
        """The official SDK client, with ``base_url`` overriding the SDK's default.

        Clients are reused within a process (building one costs ~0.1 s); the key stays in memory only.

        Raises:
            MissingApiKeyError: naming the variable, before anything is sent.
        """
        key = self.api_key()
        register_secret(key)  # a server echoing the key back must not put it in the fork
        # The SDK reads <PROVIDER>_BASE_URL when base_url is None: part of the key, or a client built
        # for one local server would keep talking to it after the variable changed.
        env_base_url = os.environ.get(f"{self.provider.upper()}_BASE_URL")
        cache_key = (type(self).__name__, base_url, env_base_url, key, max_retries, timeout)
        client = _CLIENTS.get(cache_key)
        if client is None:
            client = _CLIENTS[cache_key] = self._new_client(key, base_url, max_retries, timeout)
        return client

    def _new_client(self, key: str, base_url: str | None, max_retries: int, timeout: float) -> Any:
        """The SDK's ``client_class`` from the module named ``provider`` (imported only when replaying)."""
        sdk = importlib.import_module(self.provider)
        return getattr(sdk, self.client_class)(
            api_key=key, base_url=base_url, max_retries=max_retries, timeout=timeout
        )

    def send(self, client: Any, request: dict[str, Any]) -> SendResult:
        """Send ``request`` (the SDK keyword arguments) and return the response as a dict.

        Keys this SDK version's ``create`` does not take (a request recorded with another
        version) go in ``extra_body``, so the wire body is still exactly ``request``.
        """
        method = self._method(client)
        known = _parameters(method)
        kwargs = {key: value for key, value in request.items() if known is None or key in known}
        extra = {key: value for key, value in request.items() if key not in kwargs}
        if extra:
            kwargs["extra_body"] = {**(request.get("extra_body") or {}), **extra}
        started = time.perf_counter()
        raw = method(**kwargs)
        latency = time.perf_counter() - started
        response = raw.model_dump(mode="json")
        request_id = getattr(raw, "_request_id", None)
        return SendResult(response, usage_from_response(self.api, response), latency, request_id)

    def _method(self, client: Any) -> Any:
        """The SDK's ``create`` method for this API on ``client``."""
        raise NotImplementedError

    # --------------------------------------------------------------- request

    def prepare(self, request: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """A copy of ``request`` fit for a non-streaming replay, plus notes on what changed."""
        prepared = dict(request)
        notes = []
        if prepared.get("stream"):
            notes.append("recorded with stream: true; replayed without streaming")
        for key in STREAM_KEYS:
            prepared.pop(key, None)
        return prepared, notes

    # ------------------------------------------------------------- tool loop

    def tool_calls(self, response: dict[str, Any]) -> list[ToolCall]:
        """The tool calls the response asks for, in order."""
        return [
            ToolCall(call["id"], call["name"], call["arguments"], call["arguments_raw"])
            for call in self.codec.tool_calls(response)
        ]

    def final_text(self, response: dict[str, Any]) -> str:
        """The assistant's text in the response."""
        return self.codec.final_text(response)

    def finish_reason(self, response: dict[str, Any]) -> str | None:
        """Why the model stopped, in the API's own words."""
        return self.codec.finish_reason(response)

    def append_turn(
        self, request: dict[str, Any], response: dict[str, Any], results: list[ToolResult]
    ) -> dict[str, Any]:
        """The next request: ``request`` plus the assistant turn in ``response`` plus the tool results."""
        raise NotImplementedError

    def replace_tool_result(
        self, request: dict[str, Any], call_id: str, content: str
    ) -> dict[str, Any] | None:
        """A copy of ``request`` with the result of ``call_id`` replaced, or ``None`` if it holds none."""
        raise NotImplementedError

    def replace_tool_arguments(
        self, request: dict[str, Any], call_id: str, arguments: Any
    ) -> dict[str, Any] | None:
        """A copy of ``request`` with the arguments of the assistant's call ``call_id`` replaced, or ``None``."""
        raise NotImplementedError

    def sequence_problems(self, request: dict[str, Any]) -> list[SequenceProblem]:
        """Every place the message sequence breaks the API's tool-call pairing rules."""
        raise NotImplementedError
