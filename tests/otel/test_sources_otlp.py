"""SOURCE as an OTLP JSON location (otlp+file://, an http URL) and malformed sources: one line, exit 2."""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agentdbg.cli import app
from agentdbg.exporters import export_trace
from agentdbg.store.reader import read_trace

SAMPLE = Path(__file__).parents[2] / "sample_traces" / "03_tool_loop.jsonl"


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTDBG_CACHE_DIR", str(tmp_path / "cache"))


def _steps(path: Path) -> list[tuple[Any, ...]]:
    return [(s.kind, s.name, s.status, s.input_tokens, s.output_tokens) for s in read_trace(path).spans]


def test_otlp_file_and_url_sources(tmp_path: Path) -> None:
    exported = export_trace(read_trace(SAMPLE), "otlp-json", tmp_path / "run.otlp.json")
    out = tmp_path / "from-file.jsonl"
    result = CliRunner().invoke(app, ["pull", f"otlp+file://{exported}", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert _steps(out) == _steps(SAMPLE)

    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/run.otlp.json"
        shown = CliRunner().invoke(app, ["show", url, "--json"])
        missing = CliRunner().invoke(app, ["show", url.replace("run.otlp", "nothing"), "--print"])
    finally:
        server.shutdown()
        server.server_close()
    assert shown.exit_code == 0, shown.output
    assert '"helpdesk-bot"' in shown.stdout
    assert missing.exit_code == 2 and "HTTP 404" in missing.output


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ("phoenix:///abc", "no HOST[:PORT]"),
        ("phoenix://127.0.0.1:1/a/b/c", "expected phoenix://HOST:PORT/[PROJECT/]TRACE_ID"),
        ("mlflow://127.0.0.1:1/", "expected mlflow://HOST:PORT/TRACE_ID"),
    ],
)
def test_malformed_sources_are_one_line_exit_2(source: str, says: str) -> None:
    result = CliRunner().invoke(app, ["pull", source])
    assert result.exit_code == 2 and says in result.output
    assert len(result.output.strip().splitlines()) == 1
