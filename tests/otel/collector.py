"""A local OTLP/HTTP collector for tests: decodes each POST /v1/traces with the official protobuf classes."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Collector:
    """``with Collector(delay=0) as c:`` listens on a free port; ``c.spans`` holds every span received."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.spans: list[Any] = []  # opentelemetry.proto.trace.v1.trace_pb2.Span
        self.headers: list[dict[str, str]] = []
        self.requests = 0
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                time.sleep(collector.delay)
                request = ExportTraceServiceRequest()
                request.ParseFromString(body)
                collector.requests += 1
                collector.headers.append(dict(self.headers))
                for resource_spans in request.resource_spans:
                    for scope_spans in resource_spans.scope_spans:
                        collector.spans.extend(scope_spans.spans)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> Collector:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def attributes(self, span: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for item in span.attributes:
            value = item.value
            out[item.key] = getattr(value, value.WhichOneof("value")) if value.WhichOneof("value") else None
        return out
