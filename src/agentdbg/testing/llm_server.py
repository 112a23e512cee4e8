"""A scripted local LLM server speaking the OpenAI and Anthropic wire protocols, for tests and demos.

Real SDK clients point their ``base_url`` at it and get answers in the exact
format of the endpoint they hit (``/v1/chat/completions``, ``/v1/responses``,
``/v1/messages``), as JSON or as SSE when the request says ``stream: true``::

    with FakeLLMServer() as server:
        server.enqueue(reply("Hello"), tool_call_reply("get_weather", {"city": "Paris"}))
        client = OpenAI(base_url=server.base_url + "/v1", api_key="test-key")
        anthropic = Anthropic(base_url=server.base_url, api_key="test-key")

Scripted replies are consumed in order by any endpoint; ``responder`` (request ->
Reply) answers dynamically instead, and ``default`` answers when the queue is empty.
An empty queue with neither gives HTTP 500 with ``x-should-retry: false`` (no retries).
"""

from __future__ import annotations

import contextlib
import json
import random
import string
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from agentdbg.testing import wire_anthropic, wire_openai
from agentdbg.testing.replies import (
    Reply,
    ScriptedError,
    ScriptedToolCall,
    error_reply,
    reply,
    tool_call_reply,
    tool_calls_reply,
)

__all__ = [
    "FakeLLMServer",
    "RecordedRequest",
    "Reply",
    "ScriptedToolCall",
    "error_reply",
    "reply",
    "tool_call_reply",
    "tool_calls_reply",
]

Responder = Callable[["RecordedRequest"], Reply]
_ENDPOINTS = {
    "/chat/completions": ("openai", wire_openai.chat_json, wire_openai.chat_events),
    "/responses": ("openai", wire_openai.responses_json, wire_openai.responses_events),
    "/messages": ("anthropic", wire_anthropic.messages_json, wire_anthropic.messages_events),
}


@dataclass
class RecordedRequest:
    """One request the server received: method, path, headers (lower-case names), parsed JSON body."""

    method: str
    path: str
    headers: dict[str, str]
    json: Any
    body: bytes = b""
    received_at: float = field(default_factory=time.time)
    request_id: str = ""
    reply: Reply | None = None


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    fake: FakeLLMServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up (abandoned stream, closed pool) is normal; anything else is reported."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes: avoid 40 ms delayed-ACK stalls
    server: _HTTPServer

    def do_POST(self) -> None:
        self.server.fake._handle(self)

    def do_GET(self) -> None:
        self.server.fake._handle(self)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request access log."""


class FakeLLMServer:
    """A thread-based HTTP server on 127.0.0.1 answering with scripted replies; use it as a context manager."""

    def __init__(
        self,
        *,
        responder: Responder | None = None,
        default: Reply | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int | None = None,
    ) -> None:
        self.responder = responder
        self.default = default
        self.requests: list[RecordedRequest] = []
        self._queue: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._httpd = _HTTPServer((host, port), _Handler)
        self._httpd.fake = self
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` (append ``/v1`` for the OpenAI SDK)."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def pending(self) -> int:
        """How many scripted replies are still queued."""
        with self._lock:
            return len(self._queue)

    def enqueue(self, *replies: Reply) -> FakeLLMServer:
        """Queue replies; each request takes the next one (FIFO), whatever the endpoint."""
        with self._lock:
            self._queue.extend(replies)
        return self

    def clear(self) -> None:
        """Forget queued replies and recorded requests."""
        with self._lock:
            self._queue.clear()
            self.requests.clear()

    def start(self) -> FakeLLMServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def new_id(self, prefix: str) -> str:
        """A provider-looking id (``chatcmpl-…``, ``resp_…``, ``msg_…``, ``call_…``)."""
        alphabet = string.ascii_letters + string.digits
        with self._lock:
            return prefix + "".join(self._rng.choice(alphabet) for _ in range(24))

    def _next_reply(self, request: RecordedRequest) -> Reply:
        if self.responder is not None:
            try:
                return self.responder(request)
            except Exception as exc:  # noqa: BLE001 - a broken responder must fail the request, not hang it
                return Reply(
                    error=ScriptedError(500, f"FakeLLMServer responder failed: {exc!r}", "server_error")
                )
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        if self.default is not None:
            return self.default
        message = f"FakeLLMServer: no scripted reply left for {request.method} {request.path}"
        return Reply(error=ScriptedError(500, message, "server_error"), headers={"x-should-retry": "false"})

    def _handle(self, handler: _Handler) -> None:
        body = _read_body(handler)
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        path = handler.path.split("?", 1)[0]
        request_id = self.new_id("req_")
        request = RecordedRequest(
            method=handler.command,
            path=path,
            headers={k.lower(): v for k, v in handler.headers.items()},
            json=parsed,
            body=body,
            request_id=request_id,
        )
        with self._lock:
            self.requests.append(request)
        endpoint = next((e for suffix, e in _ENDPOINTS.items() if path.endswith(suffix)), None)
        if handler.command == "GET" and path.endswith("/models"):
            _send_json(handler, 200, {"object": "list", "data": []}, request_id)
            return
        if endpoint is None or handler.command != "POST":
            missing = ScriptedError(
                404, f"FakeLLMServer: no endpoint {handler.command} {path}", "not_found_error"
            )
            _send_json(handler, 404, wire_openai.error_body(missing), request_id)
            return
        if not isinstance(parsed, dict):
            bad = ScriptedError(400, "FakeLLMServer: request body is not a JSON object")
            _send_json(handler, 400, wire_openai.error_body(bad), request_id)
            return
        provider, render_json, render_events = endpoint
        script = self._next_reply(request)
        request.reply = script
        if script.delay and (script.error is not None or not parsed.get("stream")):
            time.sleep(script.delay)
        if script.error is not None:
            headers = dict(script.headers)
            if script.error.retry_after is not None:
                headers["retry-after-ms"] = str(int(script.error.retry_after * 1000))
            error_body = wire_anthropic.error_body if provider == "anthropic" else wire_openai.error_body
            _send_json(handler, script.error.status, error_body(script.error), request_id, headers)
        elif parsed.get("stream"):
            _send_sse(handler, render_events(script, parsed, self.new_id), script, request_id)
        else:
            _send_json(handler, 200, render_json(script, parsed, self.new_id), request_id, script.headers)


def _read_body(handler: _Handler) -> bytes:
    if handler.headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                handler.rfile.readline()
                break
            parts.append(handler.rfile.read(size))
            handler.rfile.readline()
        return b"".join(parts)
    length = int(handler.headers.get("content-length") or 0)
    return handler.rfile.read(length) if length else b""


def _common_headers(handler: _Handler, request_id: str, extra: dict[str, str] | None) -> None:
    handler.send_header("x-request-id", request_id)
    handler.send_header("request-id", request_id)
    for name, value in (extra or {}).items():
        handler.send_header(name, value)


def _send_json(
    handler: _Handler, status: int, payload: Any, request_id: str, headers: dict[str, str] | None = None
) -> None:
    data = json.dumps(payload).encode()
    try:
        handler.send_response(status)
        handler.send_header("content-type", "application/json")
        handler.send_header("content-length", str(len(data)))
        _common_headers(handler, request_id, headers)
        handler.end_headers()
        handler.wfile.write(data)
        handler.wfile.flush()
    except (BrokenPipeError, ConnectionResetError):
        handler.close_connection = True


def _send_sse(
    handler: _Handler, events: Iterator[tuple[str | None, Any]], script: Reply, request_id: str
) -> None:
    """Write events as ``text/event-stream`` in HTTP/1.1 chunks (so the connection can be reused)."""
    try:
        handler.send_response(200)
        handler.send_header("content-type", "text/event-stream; charset=utf-8")
        handler.send_header("cache-control", "no-cache")
        handler.send_header("transfer-encoding", "chunked")
        _common_headers(handler, request_id, script.headers)
        handler.end_headers()
        handler.wfile.flush()
        if script.delay:
            time.sleep(script.delay)
        for index, (name, data) in enumerate(events):
            if index and script.chunk_delay:
                time.sleep(script.chunk_delay)
            text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
            frame = (f"event: {name}\n" if name else "") + f"data: {text}\n\n"
            raw = frame.encode()
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(raw), raw))
            handler.wfile.flush()
        handler.wfile.write(b"0\r\n\r\n")
        handler.wfile.flush()
    except (BrokenPipeError, ConnectionResetError):
        handler.close_connection = True  # the client abandoned the stream


def main(argv: list[str] | None = None) -> None:
    """``python -m agentdbg.testing [--port N] [--text T]``: serve one canned answer until killed."""
    import argparse

    parser = argparse.ArgumentParser(
        description="A local fake LLM server (OpenAI and Anthropic wire formats)."
    )
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: a free one)")
    parser.add_argument("--text", default="Hello from FakeLLMServer.", help="the answer to every request")
    args = parser.parse_args(argv)
    try:
        running = FakeLLMServer(default=reply(args.text), port=args.port)
    except OSError as exc:
        print(f"error: cannot listen on port {args.port}: {exc.strerror or exc}", file=sys.stderr)
        print("hint: choose another --port, or leave it out for a free one", file=sys.stderr)
        raise SystemExit(2) from None
    with running as server:
        print(server.base_url, flush=True)
        print(
            f"OpenAI SDK: base_url={server.base_url}/v1 · Anthropic SDK: base_url={server.base_url} · "
            "any API key works (e.g. OPENAI_API_KEY=test-key)",
            file=sys.stderr,
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
