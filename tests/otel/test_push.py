"""AGENTDBG_EXPORT=otlp: captured steps go to a collector as GenAI spans; a dead or slow one never hurts the agent."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from agentdbg.capture.otlp_push import OtlpPush
from agentdbg.cli import app
from agentdbg.store.reader import read_trace
from tests.backends.servers import free_port
from tests.otel.collector import Collector

AGENT = Path(__file__).parents[1] / "backends" / "agent_run.py"


def _run_agent(
    path: Path, outcome: str, env: dict[str, str]
) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(AGENT), str(path), outcome],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done, time.monotonic() - started


def test_every_finished_step_reaches_the_collector_with_the_files_trace_id(tmp_path: Path) -> None:
    with Collector() as collector:
        done, _ = _run_agent(
            tmp_path / "run.jsonl",
            "fail",
            {
                "AGENTDBG_EXPORT": "otlp",
                "OTEL_EXPORTER_OTLP_ENDPOINT": collector.url,
                "OTEL_EXPORTER_OTLP_HEADERS": "x-team=agents",
            },
        )
    assert done.returncode == 0, done.stderr
    assert "dropped" not in done.stderr
    trace = read_trace(tmp_path / "run.jsonl")
    assert len(collector.spans) == len(trace.spans) == 4
    assert {span.trace_id.hex() for span in collector.spans} == {trace.header.trace_id}
    assert all(headers.get("x-team") == "agents" for headers in collector.headers)
    by_step = sorted(collector.spans, key=lambda s: collector.attributes(s)["agentdbg.step"])
    names = [s.name for s in by_step]
    assert names == ["invoke_agent weather-agent", "chat gpt-4o", "execute_tool get_weather", "chat gpt-4o"]
    tool = collector.attributes(by_step[2])
    assert tool["gen_ai.tool.name"] == "get_weather" and "Oslo" in tool["gen_ai.tool.call.arguments"]
    failed = by_step[3]
    assert failed.status.code == 2 and "upstream overloaded" in failed.status.message
    assert collector.attributes(by_step[1])["gen_ai.usage.input_tokens"] == trace.spans[1].usage.input_tokens
    children = {s.parent_span_id for s in by_step[1:]}
    assert children == {by_step[0].span_id}  # nesting kept


def test_a_dead_collector_changes_nothing_for_the_agent(tmp_path: Path) -> None:
    baseline, _ = _run_agent(tmp_path / "base.jsonl", "ok", {})
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    done, _ = _run_agent(
        tmp_path / "dead.jsonl", "ok", {"AGENTDBG_EXPORT": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": dead}
    )
    exited = time.time()
    assert baseline.returncode == done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("agentdbg: OTLP export dropped 4 span(s) (collector unreachable")
    assert "Connection refused" in lines[0] and lines[0].endswith("the trace files are complete")
    base, with_dead = read_trace(tmp_path / "base.jsonl"), read_trace(tmp_path / "dead.jsonl")
    assert [(s.kind, s.name, s.status) for s in with_dead.spans] == [
        (s.kind, s.name, s.status) for s in base.spans
    ]
    body_ended = float(done.stdout.split("body ended at ")[1])
    assert exited - body_ended < 2.5  # the exit is not held by retries (the exporter's own timeout is 10 s)


def test_a_slow_collector_never_blocks_the_caller_and_drops_are_counted_once(capsys: object) -> None:
    with Collector(delay=1.0) as collector:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        push = OtlpPush(OTLPSpanExporter(endpoint=collector.url + "/v1/traces"), queue_size=50)
        push.offer(
            {"type": "trace", "schema_version": 2, "trace_id": "ab" * 16, "name": "n", "started_at": 1.0},
            None,
        )
        started = time.perf_counter()
        for number in range(2000):
            record = {
                "type": "span", "id": f"s{number}", "parent_id": None, "kind": "tool", "name": "lookup",
                "started_at": 1.0, "ended_at": 2.0, "input": {"name": "lookup", "arguments": {}, "call_id": None},
                "output": "x",
            }  # fmt: skip
            push.offer(record, "ab" * 16)
        offered = time.perf_counter() - started
        push.close(wait=0.1)
    assert offered / 2000 < 0.0005  # a queue put per record, whatever the collector does
    assert push.dropped > 0 and push.sent + push.dropped <= 2000
    err = capsys.readouterr().err  # type: ignore[attr-defined]
    assert err.count("dropped") == 1 and f"dropped {push.dropped} span(s)" in err


def test_export_to_url_sends_a_recorded_trace_and_says_so(tmp_path: Path) -> None:
    sample = Path(__file__).parents[2] / "sample_traces" / "03_tool_loop.jsonl"
    trace = read_trace(sample)
    with Collector() as collector:
        result = CliRunner().invoke(app, ["export", str(sample), "--to", collector.url])
    assert result.exit_code == 0, result.output
    assert len(collector.spans) == len(trace.spans)
    assert {s.trace_id.hex() for s in collector.spans} == {trace.header.trace_id}
    dead = CliRunner().invoke(
        app,
        ["export", str(sample), "--to", f"http://127.0.0.1:{free_port()}"],
        env={"OTEL_EXPORTER_OTLP_TIMEOUT": "1"},
    )
    assert dead.exit_code == 2 and dead.output.startswith("error: cannot send the trace to")
