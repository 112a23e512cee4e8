"""Against real Phoenix and MLflow servers: push captured runs (AGENTDBG_EXPORT=otlp), pull them back by id,
search by status, and pull + replay a run produced by a framework's own OpenTelemetry instrumentation.

Each backend is one test (one server per xdist worker, started once); the steps inside are the checks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agentdbg.cli import app
from agentdbg.errors import SourceError
from agentdbg.model.trace import Trace
from agentdbg.sources import fetch
from agentdbg.store.reader import read_trace
from agentdbg.testing.llm_server import FakeLLMServer, reply
from tests.backends.servers import mlflow_server, phoenix_server
from tests.otel.frameworks import require, run_pydantic_ai

AGENT = Path(__file__).with_name("agent_run.py")
PROJECT = "agentdbg-ci"


@pytest.fixture(autouse=True)
def _env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTDBG_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")


def _record(tmp_path: Path, outcome: str, env: dict[str, str]) -> Trace:
    """Run the captured agent in its own process with the push switched on; its local trace file."""
    path = tmp_path / f"{outcome}.jsonl"
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(AGENT), str(path), outcome],
        # a fresh server on two busy cores (the other backend starting beside it) may take more than the
        # exporter's default 10 s for its first batch: give the request and the exit the time it needs
        env={
            **os.environ,
            "AGENTDBG_EXPORT": "otlp",
            "AGENTDBG_EXPORT_EXIT_WAIT": "60",
            "OTEL_EXPORTER_OTLP_TIMEOUT": "60",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "dropped" not in done.stderr, done.stderr  # a live collector takes every span
    assert time.monotonic() - started < 60
    return read_trace(path)


def _pulled(source: str, expected_steps: int) -> Trace:
    """The run as the backend serves it, once it has ingested every span (ingestion is asynchronous)."""
    deadline = time.monotonic() + 90
    while True:
        try:
            trace = fetch(source)
            if len(trace.spans) >= expected_steps:
                return trace
        except SourceError:
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            return trace
        time.sleep(1.0)


def _facts(trace: Trace) -> list[tuple[Any, ...]]:
    return [
        (
            s.kind,
            s.name,
            s.parent_id,
            s.tool.name if s.tool else None,
            json.dumps(s.tool.arguments, sort_keys=True) if s.tool else None,
            json.dumps(s.output, sort_keys=True) if s.kind == "tool" else None,
            s.usage.input_tokens if s.usage else None,
            s.usage.output_tokens if s.usage else None,
            (s.error.type, s.error.message) if s.error else None,
        )
        for s in trace.spans
    ]


def _same_run(pulled: Trace, local: Trace) -> None:
    assert pulled.header.trace_id == local.header.trace_id  # the OTel trace id is the file's trace_id
    assert pulled.header.name == local.header.name
    assert _facts(pulled) == _facts(local)
    assert [c.name for s in pulled.llm_spans for c in s.llm.tool_calls] == [
        c.name for s in local.llm_spans for c in s.llm.tool_calls
    ]
    for key in ("steps", "input_tokens", "output_tokens", "errors"):
        assert pulled.totals()[key] == local.totals()[key], key
    assert [s.input for s in pulled.llm_spans] == [s.input for s in local.llm_spans]  # replayable as recorded


def _cli(*args: str) -> Any:
    result = CliRunner().invoke(app, list(args))
    return result


def _replay_last_llm(source: str, tmp_path: Path, name: str) -> tuple[Trace, list[dict[str, Any]]]:
    fork = tmp_path / f"{name}.fork.jsonl"
    with FakeLLMServer() as server:
        server.enqueue(reply("Replayed: wear a coat."))
        result = _cli("replay", source, "--from", "last-llm", "--base-url", server.base_url, "-o", str(fork))
        sent = [r.json for r in server.requests]
    assert result.exit_code == 0, result.output
    return read_trace(fork), sent


def _framework_run(tmp_path: Path, endpoint: str, headers: dict[str, str], resource: dict[str, str]) -> str:
    """A pydantic-ai agent, instrumented by pydantic-ai itself, exported with the OTLP/HTTP exporter."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from agentdbg.testing.llm_server import tool_call_reply

    provider = TracerProvider(resource=Resource.create(resource))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=endpoint, headers=headers)))
    memory = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    with FakeLLMServer() as server:
        server.enqueue(tool_call_reply("get_weather", {"city": "Oslo"}))
        server.enqueue(reply("It is -3C in Oslo."))
        run_pydantic_ai(server.base_url, provider)
    provider.shutdown()
    return format(memory.get_finished_spans()[0].get_span_context().trace_id, "032x")


def _check_framework_run(source: str, tmp_path: Path) -> None:
    trace = _pulled(source, 4)
    assert [s.kind for s in trace.spans] == ["agent", "llm", "tool", "llm"]
    assert trace.tool_spans[0].tool.arguments == {"city": "Oslo"}
    last = trace.llm_spans[-1]
    assert last.llm.replayable and last.input["request"]["tools"][0]["function"]["name"] == "get_weather"
    fork, sent = _replay_last_llm(source, tmp_path, "framework")
    assert sent[0]["messages"] == last.input["request"]["messages"]
    assert "Replayed" in json.dumps(fork.llm_spans[-1].output)


def test_phoenix_push_pull_search_and_replay(tmp_path: Path) -> None:
    with phoenix_server(tmp_path / "phoenix") as host:
        env = {
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{host}",
            "OTEL_RESOURCE_ATTRIBUTES": f"openinference.project.name={PROJECT}",
        }
        ok, failed = _record(tmp_path, "ok", env), _record(tmp_path, "fail", env)
        for local in (ok, failed):
            _same_run(_pulled(f"phoenix://{host}/{PROJECT}/{local.header.trace_id}", len(local.spans)), local)

        listed = _cli("search", f"phoenix://{host}/{PROJECT}", "--status", "error", "--since", "1h", "--json")
        assert listed.exit_code == 0, listed.output
        assert [run["trace_id"] for run in json.loads(listed.stdout)] == [failed.header.trace_id]
        everything = json.loads(_cli("search", f"phoenix://{host}/{PROJECT}", "--json").stdout)
        assert {run["trace_id"] for run in everything} == {ok.header.trace_id, failed.header.trace_id}

        source = f"phoenix://{host}/{PROJECT}/{ok.header.trace_id}"
        shown = _cli("show", source, "--print")
        assert shown.exit_code == 0 and "get_weather" in shown.stdout
        fork, sent = _replay_last_llm(source, tmp_path, "phoenix")
        assert sent[0]["messages"] == ok.llm_spans[-1].input["request"]["messages"]
        assert [s.origin for s in fork.spans[:3]] == ["recorded"] * 3

        fix = tmp_path / "fix.json"
        fix.write_text(json.dumps({"system": "Answer in one short sentence."}), encoding="utf-8")
        with FakeLLMServer() as server:
            server.enqueue(reply("It is -3C in Oslo."))
            verified = _cli(
                "verify", "--patch", str(fix), "--from", "last-llm", f"phoenix://{host}/{PROJECT}",
                "--status", "error", "--limit", "5", "--base-url", server.base_url, "--json",
            )  # fmt: skip
            resent = [r.json for r in server.requests]
        assert verified.exit_code in (0, 1), verified.output
        rows = json.loads(verified.stdout)
        assert len(rows) == 1 and rows[0]["status"] == "finished"  # the one failed run, pulled and replayed
        assert resent[0]["messages"][0] == {"role": "system", "content": "Answer in one short sentence."}
        assert resent[0]["messages"][1:] == failed.llm_spans[-1].input["request"]["messages"]

        missing = _cli("pull", f"phoenix://{host}/{PROJECT}/{'0' * 32}")
        assert missing.exit_code == 2 and "no trace" in missing.output and "Traceback" not in missing.output

        require("pydantic_ai")
        trace_id = _framework_run(
            tmp_path, f"http://{host}/v1/traces", {}, {"openinference.project.name": "pai"}
        )
        _check_framework_run(f"phoenix://{host}/pai/{trace_id}", tmp_path)


def test_mlflow_push_pull_search_and_replay(tmp_path: Path) -> None:
    with mlflow_server(tmp_path / "mlflow") as host:
        env = {
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{host}",
            "OTEL_EXPORTER_OTLP_HEADERS": "x-mlflow-experiment-id=0",
        }
        ok, failed = _record(tmp_path, "ok", env), _record(tmp_path, "fail", env)
        for local in (ok, failed):
            _same_run(_pulled(f"mlflow://{host}/{local.header.trace_id}", len(local.spans)), local)

        listed = _cli("search", f"mlflow://{host}", "--status", "error", "--since", "1h", "--json")
        assert listed.exit_code == 0, listed.output
        assert [run["trace_id"] for run in json.loads(listed.stdout)] == [failed.header.trace_id]

        source = f"mlflow://{host}/tr-{ok.header.trace_id}"
        fork, sent = _replay_last_llm(source, tmp_path, "mlflow")
        assert sent[0]["messages"] == ok.llm_spans[-1].input["request"]["messages"]

        missing = _cli("pull", f"mlflow://{host}/tr-{'0' * 32}")
        assert missing.exit_code == 2 and "no trace" in missing.output

        require("pydantic_ai")
        trace_id = _framework_run(tmp_path, f"http://{host}/v1/traces", {"x-mlflow-experiment-id": "0"}, {})
        _check_framework_run(f"mlflow://{host}/{trace_id}", tmp_path)


def test_unreachable_backend_is_one_line_exit_2(tmp_path: Path) -> None:
    from tests.backends.servers import free_port

    port = free_port()  # nothing listens there
    for source in (f"phoenix://127.0.0.1:{port}/abc", f"mlflow://127.0.0.1:{port}/abc"):
        result = _cli("pull", source)
        assert result.exit_code == 2
        assert (
            result.output.strip().startswith("error: cannot reach 127.0.0.1")
            and "Traceback" not in result.output
        )
