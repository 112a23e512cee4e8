"""One LLM call being recorded: request as sent, each HTTP attempt, the response body, the end of the step.

The wrapped client's ``request()`` opens an ``LLMCall``; httpx event hooks report
each attempt; a tee on the final response's body sees every byte the SDK reads,
however it reads it (parsed object, stream, raw response). The step ends when
both ``request()`` has returned and the body has been read (or closed).
"""

from __future__ import annotations

import contextvars
import threading
import time
from typing import Any

import orjson

from agentdbg.capture import playback
from agentdbg.capture.session import TraceSession, active_session
from agentdbg.capture.spans import CURRENT_SPAN, SpanHandle, error_info
from agentdbg.store.body_prefix import LIST_KEYS, Extension, SentBody
from agentdbg.store.compact import COMPACT_KEY
from agentdbg.wire import Codec, by_path
from agentdbg.wire.sse import sse_events

CURRENT_CALL: contextvars.ContextVar[LLMCall | None] = contextvars.ContextVar(
    "agentdbg_llm_call", default=None
)

# (HTTP path suffix) -> (provider, api)
ENDPOINTS = {
    "/chat/completions": ("openai", "chat.completions"),
    "/responses": ("openai", "responses"),
    "/messages": ("anthropic", "messages"),
}


def endpoint_for(method: str, url: str) -> tuple[str, str] | None:
    """The (provider, api) of an SDK request, or ``None`` when it is not a recorded LLM endpoint."""
    if method.lower() != "post":
        return None
    path = url.split("?", 1)[0].rstrip("/")
    for suffix, endpoint in ENDPOINTS.items():
        if path.endswith(suffix):
            return endpoint
    return None


class LLMCall:
    """The in-flight record of one SDK call (all its retries)."""

    __slots__ = (
        "_lock",
        "_responded",
        "api",
        "attempts",
        "base_url",
        "body_done",
        "chunks",
        "codec",
        "failed_attempts",
        "first_chunk_at",
        "parent_id",
        "path_suffix",
        "playback",
        "provider",
        "request_id",
        "returned",
        "session",
        "span",
        "sse",
        "started_at",
        "status_code",
        "t0",
    )

    def __init__(self, provider: str, api: str, path_suffix: str, base_url: str) -> None:
        self.session: TraceSession = active_session()
        self.provider, self.api, self.path_suffix = provider, api, path_suffix
        self.codec: Codec = by_path(api)  # type: ignore[assignment]  # api comes from ENDPOINTS
        self.base_url = base_url
        parent = CURRENT_SPAN.get()
        self.parent_id = parent.id if parent is not None and parent.session is self.session else None
        self.started_at = time.time()
        self.t0 = time.perf_counter()
        self.span: SpanHandle | None = None
        self.attempts = 0
        self._responded = 0
        self.failed_attempts: list[dict[str, Any]] = []
        self.status_code: int | None = None
        self.request_id: str | None = None
        self.sse = False
        self.chunks: list[bytes] = []
        self.first_chunk_at: float | None = None
        self.returned = False
        self.body_done = False
        self.playback: playback.Decision | None = None  # set once per call while a replay is active
        self._lock = threading.Lock()

    def matches(self, url_path: str) -> bool:
        return url_path.split("?", 1)[0].rstrip("/").endswith(self.path_suffix)

    # --- per attempt (httpx event hooks) ---
    def on_request(self, content: bytes) -> None:
        if self.attempts and self._responded < self.attempts:  # the previous attempt got no response at all
            self.failed_attempts.append(
                {"attempt": self.attempts, "error": "no response (connection error or timeout)"}
            )
        self.attempts += 1
        if self.span is not None:
            return
        active = playback.player()
        # A body that extends one already written: only the appended items are read (store/body_prefix.py).
        extension = self.session.find_extension(content) if active is None else None
        if extension is not None:
            self._start_extension(content, extension)
            return
        try:
            request = orjson.loads(content) if content else None
        except orjson.JSONDecodeError:
            request = content.decode("utf-8", errors="replace")
        # Tools the program ran since the last answer, from what it sends (before playback moves the phase on).
        self.session.derive_tool_steps(f"{self.provider}.{self.api}", request, self.started_at)
        origin, diverged = None, None
        if active is not None:  # code-level replay: the player decides before the request goes anywhere
            self.playback = active.llm_request(self.provider, self.api, request)
            origin, diverged = self.playback.origin, self.playback.diverged
            if self.playback.send_request is not None:
                request = self.playback.send_request
        sent = None
        if isinstance(request, dict) and active is None:
            sent = SentBody(content, request=request)  # the requests after it may extend it
        self._open_span(request, origin, diverged, sent=sent)
        if sent is not None and self.span is not None:
            items = next((request[k] for k in LIST_KEYS if type(request.get(k)) is list), None)
            if items is not None:
                self.session.keep_tail(self.span.id, self.session.next_tail(items))

    def _start_extension(self, content: bytes, extension: Extension) -> None:
        """Open the step of a request that extends one already written: its new items are all that is read."""
        session = self.session
        tail = session.next_tail(extension.items, extension.base.span_id)
        derived = None
        if session.waiting_for_tool_results:  # pair tool results with the calls they answer
            ledger_request = {extension.key: tail} if tail is not None else orjson.loads(content)
            derived = session.derived_tool_steps(
                f"{self.provider}.{self.api}", ledger_request, self.started_at
            )
        sent = SentBody(content, extension=extension)
        extra = {COMPACT_KEY: extension.ref()}
        self._open_span(extension.request(), None, None, sent=sent, extra=extra, before=derived)
        if self.span is not None:
            session.keep_tail(self.span.id, tail)

    def _open_span(
        self,
        request: Any,
        origin: str | None,
        diverged: str | None,
        *,
        sent: SentBody | None = None,
        extra: dict[str, Any] | None = None,
        before: list[dict[str, Any]] | None = None,
    ) -> None:
        """Write the step's start (``before``: derived tool steps, written ahead of it in one write)."""
        model = request.get("model") if isinstance(request, dict) else None
        stream = bool(request.get("stream")) if isinstance(request, dict) else False
        api_name = f"{self.api} {model}" if model else self.api
        attributes = {"model": model, "stream": stream, "base_url": self.base_url}
        if diverged:
            attributes["divergence"] = diverged
        self.span = SpanHandle(
            self.session,
            api_name,
            "llm",
            input={"provider": self.provider, "api": self.api, "request": request},
            attributes=attributes,
            parent_id=self.parent_id,
            started_at=self.started_at,
            origin=origin,
            diverged=diverged is not None,
            extra=extra,
            sent=sent,
            before=before,
        )
        self.session.track(id(self), self._abandon)

    def on_response(self, status_code: int, headers: Any) -> bool:
        """Note an attempt's status and request id; True when its body should be captured (2xx)."""
        self._responded = self.attempts
        self.status_code = status_code
        self.request_id = headers.get("x-request-id") or headers.get("request-id") or self.request_id
        if status_code >= 300:
            self.failed_attempts.append(
                {"attempt": self.attempts, "status_code": status_code, "request_id": self.request_id}
            )
            return False
        self.sse = "text/event-stream" in (headers.get("content-type") or "")
        with self._lock:  # a new successful attempt: its body replaces any earlier one
            self.chunks = []
            self.first_chunk_at = None
            self.body_done = False
        return True

    # --- body tee ---
    def on_chunk(self, chunk: bytes) -> None:
        if self.body_done:
            return
        if self.first_chunk_at is None and chunk:
            self.first_chunk_at = time.perf_counter()
        self.chunks.append(chunk)

    def on_body_end(self, error: BaseException | None = None) -> None:
        """The body was read to the end, closed, or failed; the step ends if ``request()`` has returned."""
        with self._lock:
            if self.body_done:
                return
            self.body_done = True
            ready = self.returned
        if ready:  # else the SDK may still retry: request() returning or raising decides
            self.finish(error)

    # --- the SDK call itself ---
    def on_return(self) -> None:
        with self._lock:
            self.returned = True
            ready = self.body_done
        if ready:
            self.finish()

    def on_error(self, exc: BaseException) -> None:
        self.finish(exc)

    def _abandon(self) -> None:
        """The trace is closing while this call is still in flight (a stream never read to the end)."""
        if self.span is not None:
            self.span.set_attribute("abandoned", True)
        self.finish()

    def finish(self, error: BaseException | None = None) -> None:
        span = self.span
        if span is None or span.ended:
            return
        self.session.untrack(id(self))
        output, complete, stream_error = self._output()
        attributes = span.end_attributes
        attributes["attempt"] = self.attempts
        retried = [a for a in self.failed_attempts if a["attempt"] < self.attempts]
        if retried:
            attributes["retries"] = retried
        if self.request_id:
            attributes["request_id"] = self.request_id
        if self.status_code is not None:
            attributes["status_code"] = self.status_code
        attributes["latency"] = round(time.perf_counter() - self.t0, 6)
        if self.sse and self.first_chunk_at is not None:
            attributes["ttft"] = round(self.first_chunk_at - self.t0, 6)
        if self.sse and not complete and error is None:
            attributes["stream_complete"] = False
        if isinstance(output, dict):
            if output.get("model"):
                attributes["model"] = output["model"]
            reason = self.codec.finish_reason(output)
            if reason:
                attributes["finish_reason"] = reason
            usage = self.codec.usage(output)
            if usage is not None:
                span.set_usage({k: v for k, v in usage.items() if v is not None})
            self._offer_tool_calls(output)
        if error is not None:
            span.end(output=output, error=error_info(error))
        elif stream_error is not None:
            span.end(output=output, error=stream_error)
        else:
            span.end(output=output)

    def _output(self) -> tuple[Any, bool, dict[str, Any] | None]:
        body = b"".join(self.chunks)
        if not body:
            return None, False, None
        if self.sse:
            assembled = self.codec.assemble(sse_events(body), orjson.loads)
            return assembled.response, assembled.complete, assembled.error
        try:
            return orjson.loads(body), True, None
        except orjson.JSONDecodeError:
            return body.decode("utf-8", errors="replace"), False, None

    def _offer_tool_calls(self, output: dict[str, Any]) -> None:
        calls = [
            (call["name"], call["arguments"], call["id"])
            for message in self.codec.response_messages(output)
            for call in message["tool_calls"]
            if call["id"]
        ]
        if calls:
            self.session.offer_tool_calls(calls, self.parent_id, self.span.id if self.span else None)
