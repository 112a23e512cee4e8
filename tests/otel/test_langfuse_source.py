"""langfuse://HOST/TRACE_ID: Langfuse's server cannot run here, so its public API is served from responses shaped
as its API definition documents them (TraceWithFullDetails, Traces, ObservationsV2Response: tests/otel/data/)
by a local HTTP server that checks the Basic auth keys, and agentdbg's real HTTP client talks to it."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from typer.testing import CliRunner

from agentdbg.cli import app
from agentdbg.store.reader import read_trace

DATA = Path(__file__).with_name("data")
TRACE_ID = "7f2c7c1e-4f1b-4d43-9b6a-2b0d0f6c9a11"
KEYS = ("pk-lf-test", "sk-lf-test")


@pytest.fixture
def langfuse(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []
    documents = {
        f"/api/public/traces/{TRACE_ID}": json.loads((DATA / "langfuse_trace.json").read_text()),
        "/api/public/traces": json.loads((DATA / "langfuse_traces_list.json").read_text()),
        "/api/public/v2/observations": json.loads((DATA / "langfuse_error_observations.json").read_text()),
    }
    expected = "Basic " + base64.b64encode(":".join(KEYS).encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            url = urlsplit(self.path)
            seen.append({"path": url.path, "query": parse_qs(url.query)})
            if self.headers.get("Authorization") != expected:
                return self._send(
                    401, {"message": "Invalid credentials. Confirm that you've configured the correct host."}
                )
            if url.path not in documents:
                return self._send(404, {"message": "Trace not found within authorized project"})
            return self._send(200, documents[url.path])

        def _send(self, status: int, body: Any) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("LANGFUSE_PUBLIC_KEY", KEYS[0])
    monkeypatch.setenv("LANGFUSE_SECRET_KEY", KEYS[1])
    monkeypatch.setenv("AGENTDBG_CACHE_DIR", str(tmp_path / "cache"))
    try:
        yield f"langfuse+http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_pull_maps_the_trace_with_its_observations(langfuse: tuple[str, list[Any]], tmp_path: Path) -> None:
    base, _ = langfuse
    out = tmp_path / "pulled.jsonl"
    result = CliRunner().invoke(app, ["pull", f"{base}/{TRACE_ID}", "-o", str(out)])
    assert result.exit_code == 0, result.output
    trace = read_trace(out)
    document = json.loads((DATA / "langfuse_trace.json").read_text())
    observations = document["observations"]
    assert [s.kind for s in trace.spans] == [
        "agent",
        "agent",
        "llm",
        "tool",
        "llm",
    ]  # the trace, then each observation
    assert trace.header.name == "support-bot"
    tool = trace.tool_spans[0]
    assert (
        tool.tool.name == "get_weather"
        and tool.tool.arguments == {"city": "Oslo"}
        and tool.output == "-3C, snow"
    )
    assert trace.llm_spans[0].llm.tool_calls[0].name == "get_weather"
    assert trace.totals()["input_tokens"] == sum(o["usage"]["input"] for o in observations)
    assert trace.totals()["output_tokens"] == sum(o["usage"]["output"] for o in observations)
    failed = [s for s in trace.spans if s.error is not None]
    assert len(failed) == sum(1 for o in observations if o["level"] == "ERROR")
    assert all("429" in s.error.message for s in failed)
    shown = CliRunner().invoke(
        app, ["show", f"{base}/{TRACE_ID}", "--print"]
    )  # the source itself, via the cache
    assert shown.exit_code == 0 and "get_weather" in shown.stdout


def test_search_by_status_uses_the_error_observations(langfuse: tuple[str, list[Any]]) -> None:
    base, seen = langfuse
    result = CliRunner().invoke(
        app, ["search", base, "--status", "error", "--since", "24h", "--name", "support", "--json"]
    )
    assert result.exit_code == 0, result.output
    runs = json.loads(result.stdout)
    assert [run["trace_id"] for run in runs] == [TRACE_ID]
    assert runs[0]["source"].endswith(f"/{TRACE_ID}") and runs[0]["status"] == "error"
    observations = next(r for r in seen if r["path"] == "/api/public/v2/observations")
    assert observations["query"]["level"] == ["ERROR"] and "fromStartTime" in observations["query"]
    traces = next(r for r in seen if r["path"] == "/api/public/traces")
    assert traces["query"]["name"] == ["support"] and "fromTimestamp" in traces["query"]


def test_refused_key_unknown_id_and_missing_keys_are_one_line_exit_2(
    langfuse: tuple[str, list[Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, _ = langfuse
    unknown = CliRunner().invoke(app, ["pull", f"{base}/no-such-trace"])
    assert unknown.exit_code == 2 and "has no trace no-such-trace" in unknown.output
    monkeypatch.setenv("LANGFUSE_SECRET_KEY", "sk-lf-wrong")
    refused = CliRunner().invoke(app, ["pull", f"{base}/{TRACE_ID}"])
    assert refused.exit_code == 2 and "refused the credentials (HTTP 401)" in refused.output
    monkeypatch.delenv("LANGFUSE_SECRET_KEY")
    missing = CliRunner().invoke(app, ["pull", f"{base}/{TRACE_ID}"])
    assert missing.exit_code == 2 and "LANGFUSE_SECRET_KEY" in missing.output
    for result in (unknown, refused, missing):
        assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
