"""The show, validate and schema commands, through typer's runner and a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from agentdbg.cli import app

from .helpers import healthy_records, write_lines

runner = CliRunner()


def test_show_print_renders_the_tree(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "t.jsonl", healthy_records())
    result = runner.invoke(app, ["show", str(path), "--print"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("weather-bot")
    assert "3 steps · 82 in / 17 out tokens" in lines[1]
    tree = [line for line in lines if "step-" in line]
    assert tree[0].startswith("step-1") and "agent" in tree[0] and "support-bot" in tree[0]
    assert tree[1].startswith("  step-2") and "1.20s" in tree[1] and "82→17 tok" in tree[1] and tree[1].endswith("ok")
    assert tree[2].startswith("  step-3") and "get_weather" in tree[2]


def test_show_step_prints_prompt_response_and_usage(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "t.jsonl", healthy_records())
    out = runner.invoke(app, ["show", str(path), "--step", "2"]).stdout
    assert "── system" in out and "You are a weather assistant." in out
    assert "── user" in out and "What's the weather in Paris?" in out
    assert "→ tool call get_weather  (call_1)" in out
    assert '"city": "Paris"' in out
    assert "usage input_tokens=82, output_tokens=17" in out
    assert "latency 1.20s" in out


def test_show_json_is_machine_readable(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "t.jsonl", healthy_records())
    tree = json.loads(runner.invoke(app, ["show", str(path), "--json"]).stdout)
    assert [s["step"] for s in tree["steps"]] == ["step-1", "step-2", "step-3"]
    assert tree["totals"]["steps"] == 3
    step = json.loads(runner.invoke(app, ["show", str(path), "--json", "--step", "step-2"]).stdout)
    assert step["prompt"][0] == {"role": "system", "text": "You are a weather assistant."}
    assert step["response"][0]["tool_calls"][0]["name"] == "get_weather"


def test_unknown_step_is_a_clear_error(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "t.jsonl", healthy_records())
    result = runner.invoke(app, ["show", str(path), "--step", "12"])
    assert result.exit_code == 2
    assert "no step '12'" in result.stderr and "step-1 … step-3" in result.stderr
    assert "Traceback" not in result.output


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["show", str(tmp_path / "nope.jsonl"), "--print"])
    assert result.exit_code == 2
    assert "nope.jsonl: no such file" in result.stderr


def test_validate_exit_codes(tmp_path: Path) -> None:
    good = write_lines(tmp_path / "good.jsonl", healthy_records())
    bad = write_lines(tmp_path / "bad.jsonl", [*healthy_records(), "garbage"])
    assert runner.invoke(app, ["validate", str(good)]).exit_code == 0
    result = runner.invoke(app, ["validate", str(good), str(bad)])
    assert result.exit_code == 1
    assert result.stdout.strip().startswith(f"{bad}:7: error: not valid JSON")
    assert runner.invoke(app, ["validate", str(tmp_path / "missing.jsonl")]).exit_code == 2


def test_validate_lists_info_notes_but_passes(tmp_path: Path) -> None:
    """An importer's note (a legacy Codex rollout carries no timestamps) is not a problem of the file."""
    legacy = Path(__file__).resolve().parents[1] / "importers" / "data" / "codex_legacy.jsonl"
    noted = runner.invoke(app, ["validate", str(legacy)])
    assert noted.exit_code == 0, noted.output
    assert f"{legacy}: info: legacy Codex rollout" in noted.stdout
    assert "ok: 1 file(s), no problems (1 info note)" in noted.stderr
    bad = write_lines(tmp_path / "bad.jsonl", [*healthy_records(), "garbage"])
    assert runner.invoke(app, ["validate", str(legacy), str(bad)]).exit_code == 1


def test_cat_refuses_what_is_not_an_agentdbg_trace(tmp_path: Path) -> None:
    """cat (and --expand, "for jq") printed a Codex rollout, an empty or a binary file as is, exit 0."""
    codex = Path(__file__).resolve().parents[1] / "importers" / "data" / "codex_legacy.jsonl"
    for args in (["cat", str(codex)], ["cat", "--expand", str(codex)]):
        refused = runner.invoke(app, args)
        assert refused.exit_code == 2 and refused.stdout == ""
        assert f"{codex} is a codex file, not an agentdbg trace" in refused.stderr
        assert f"agentdbg import {codex}" in refused.stderr
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    binary = tmp_path / "blob.jsonl"
    binary.write_bytes(bytes(range(256)))
    for path, says in ((empty, "empty file"), (binary, "not a trace agentdbg can read")):
        refused = runner.invoke(app, ["cat", "-e", str(path)])
        assert refused.exit_code == 2 and says in refused.stderr and "Traceback" not in refused.stderr
    ours = write_lines(tmp_path / "ours.jsonl", healthy_records())
    assert runner.invoke(app, ["cat", str(ours)]).stdout == ours.read_text()


def test_export_and_import_never_write_over_their_input(tmp_path: Path) -> None:
    """``export -f html run.jsonl -o run.jsonl`` replaced the trace with its own HTML page, exit 0."""
    trace = write_lines(tmp_path / "run.jsonl", healthy_records())
    before = trace.read_bytes()
    goose = Path(__file__).resolve().parents[1] / "importers" / "data" / "goose" / "sample_session.jsonl"
    session = tmp_path / "session.jsonl"
    session.write_bytes(goose.read_bytes())
    original = session.read_bytes()
    for args in (
        ["export", str(trace), "-f", "html", "-o", str(trace)],
        ["export", str(trace), "-f", "otlp-json", "-o", str(tmp_path / "." / "run.jsonl")],
        ["import", str(session), "-o", str(session)],
    ):
        refused = runner.invoke(app, args)
        assert refused.exit_code == 2, refused.output
        assert "--output is the input file" in refused.stderr and "Traceback" not in refused.stderr
    assert trace.read_bytes() == before and session.read_bytes() == original


def test_schema_validates_every_bundled_sample_line() -> None:
    """Each model's nested $defs (Usage, ErrorInfo, ForkOf) are hoisted: '#/$defs/Usage' resolved to nowhere."""
    import jsonschema

    document = json.loads(runner.invoke(app, ["schema"]).stdout)
    validator = jsonschema.Draft202012Validator(document)
    jsonschema.Draft202012Validator.check_schema(document)
    samples = sorted((Path(__file__).resolve().parents[2] / "sample_traces").glob("*.jsonl"))
    checked = 0
    for sample in samples:
        for line in sample.read_text().splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # 08_crashed_run's torn last line
            assert list(validator.iter_errors(record)) == [], (sample.name, line[:120])
            checked += 1
    assert checked > 100
    assert list(validator.iter_errors({"type": "span_end", "id": "x", "usage": {"input_tokens": "many"}}))


def test_schema_is_json_schema() -> None:
    document = json.loads(runner.invoke(app, ["schema"]).stdout)
    assert set(document["$defs"]) >= {"TraceHeader", "SpanStartRecord", "SpanEndRecord", "SpanRecord"}
    assert "input" in document["$defs"]["SpanStartRecord"]["properties"]


def test_real_subprocess_prints_tree_and_problems(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "t.jsonl", [*healthy_records(), "{oops"])
    proc = subprocess.run([sys.executable, "-m", "agentdbg", "show", str(path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    assert "step-3" in proc.stdout
    assert f"{path}:7: error: not valid JSON" in proc.stderr
    assert "Traceback" not in proc.stderr
