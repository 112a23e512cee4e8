"""``agentdbg replay`` as a real subprocess: summary, exit codes, --json, --dry-run, --show-document, errors."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from agentdbg.testing.llm_server import reply, tool_call_reply
from tests.replay.agent import record_run, weather

API = "anthropic.messages"


def agentdbg(
    *args: str, env_extra: dict[str, str] | None = None, drop: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update({"NO_COLOR": "1", "COLUMNS": "160", **(env_extra or {})})
    return subprocess.run(
        [sys.executable, "-m", "agentdbg", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.fixture
def run(tmp_path, server) -> Path:
    return record_run(
        tmp_path / "run.jsonl",
        server,
        API,
        [tool_call_reply("get_weather", {"city": "Paris"}), reply("It is 18C and sunny in Paris.")],
        {"get_weather": weather},
    )


def test_replay_prints_summary_and_exits_0(run, server, tmp_path):
    server.enqueue(reply("Il fait beau à Paris."))
    out = tmp_path / "fork.jsonl"
    done = agentdbg(
        "replay",
        str(run),
        "--from",
        "first-llm",
        "--set",
        '/system="Answer in French."',
        "-o",
        str(out),
        "--base-url",
        server.base_url,
    )
    assert done.returncode == 0, done.stderr
    assert "finished" in done.stdout and str(out) in done.stdout
    assert "diverged" in done.stdout and "at step-2" in done.stdout
    assert "It is 18C and sunny in Paris." in done.stdout and "Il fait beau à Paris." in done.stdout
    assert server.requests[0].json["system"] == "Answer in French."
    assert "test-key" in json.dumps(server.requests[0].headers) and "test-key" not in out.read_text()


def test_json_output_and_needs_tool_result_exit_3(run, server, tmp_path):
    server.enqueue(tool_call_reply("get_weather", {"city": "Oslo"}))
    patch = tmp_path / "oslo.json"
    patch.write_text(
        json.dumps([{"op": "replace", "path": "/messages/0/content", "value": "Weather in Oslo?"}])
    )
    done = agentdbg(
        "replay", str(run), "--from", "step-2", "--patch", str(patch), "--json", "--base-url", server.base_url
    )
    assert done.returncode == 3, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "needs-tool-result" and result["needs"]["name"] == "get_weather"
    template = Path(result["needs"]["template"])
    filled = json.loads(template.read_text())
    filled[-1]["value"] = "-3C, snow"
    template.write_text(json.dumps(filled))
    server.enqueue(reply("Snowy in Oslo."))
    resumed = agentdbg(*shlex.split(result["needs"]["resume"])[1:], "--json", "--base-url", server.base_url)
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["new_answer"] == "Snowy in Oslo."


def test_max_steps_exit_4(run, server, tmp_path):
    server.default = tool_call_reply("get_weather", {"city": "Paris"})
    done = agentdbg("replay", str(run), "--from", "step-2", "--max-steps", "2", "--base-url", server.base_url)
    assert done.returncode == 4, done.stderr
    assert "max-steps" in done.stdout and len(server.requests) == 2


def test_repeat_distribution(run, server):
    answers = iter(["A", "B", "A"])
    server.responder = lambda request: reply(next(answers))
    done = agentdbg("replay", str(run), "--from", "last-llm", "--repeat", "3", "--base-url", server.base_url)
    assert done.returncode == 0, done.stderr
    assert "2× A" in done.stdout and "1× B" in done.stdout and "part ways at step-4" in done.stdout


def test_dry_run_and_show_document_send_nothing(run, server):
    done = agentdbg(
        "replay",
        str(run),
        "--from",
        "step-2",
        "--set",
        "/params/max_tokens=64",
        "--dry-run",
        "--base-url",
        server.base_url,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["request"]["max_tokens"] == 64
    shown = agentdbg("replay", str(run), "--from", "tool:get_weather", "--show-document")
    assert json.loads(shown.stdout) == {
        "name": "get_weather",
        "arguments": {"city": "Paris"},
        "result": "18C and sunny",
    }
    assert server.requests == []


def test_edit_uses_the_saved_document(run, server, tmp_path):
    editor = tmp_path / "editor.py"
    editor.write_text(
        "import json, sys\np = sys.argv[1]\nd = json.load(open(p))\nd['system'] = 'Edited in an editor.'\njson.dump(d, open(p, 'w'))\n"
    )
    server.enqueue(reply("ok"))
    done = agentdbg(
        "replay",
        str(run),
        "--from",
        "step-2",
        "--edit",
        "--base-url",
        server.base_url,
        env_extra={"EDITOR": f"{sys.executable} {editor}"},
    )
    assert done.returncode == 0, done.stderr
    assert server.requests[0].json["system"] == "Edited in an editor."


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "step-99"], "valid steps: step-1 … step-4"),
        (["--from", "step-2", "--set", "/messages/9/content=1"], "op #1"),
        (["--from", "step-2", "--tools", "no_such_module:TOOLS"], "cannot import no_such_module"),
        (["--from", "step-2", "--provider", "openai"], "--provider openai needs --model"),
        # a typo adds a field the request never reads: refused instead of silently sending the old prompt
        (["--from", "step-2", "--set", "/sytem=Be brief"], "unknown field /sytem"),
        (["--from", "tool:get_weather", "--set", "/reslt=rain"], "unknown field /reslt"),
        (
            ["--from", "step-2", "--max-retries", "-1"],
            "'--max-retries': Input should be greater than or equal to 0",
        ),  # was the SDK's traceback
        (
            ["--from", "step-2", "--repeat", "0"],
            "'--repeat': Input should be greater than or equal to 2",
        ),  # was "running 0 forks …" first
    ],
)
def test_bad_input_exit_2_without_traceback(run, server, args, message):
    done = agentdbg("replay", str(run), *args, "--base-url", server.base_url)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert message in done.stderr and "Traceback" not in done.stderr and done.stdout == ""
    assert server.requests == []


def test_missing_key_exit_2_and_nothing_sent(run, server):
    done = agentdbg(
        "replay", str(run), "--from", "step-2", "--base-url", server.base_url, drop=("ANTHROPIC_API_KEY",)
    )
    assert done.returncode == 2  # one MissingApiKeyError (exit 2) for replay, verify and explain
    assert "ANTHROPIC_API_KEY is not set" in done.stderr and "Traceback" not in done.stderr
    assert server.requests == []


def test_hostile_model_text_is_shown_as_literal_text(tmp_path, server):
    hostile = "Done\x1b]52;c;ZXZpbA==\x07 \x1b[2J[bold red]x[/bold red]"
    run = record_run(tmp_path / "run.jsonl", server, API, [reply(hostile)], {})
    server.enqueue(reply("new \x1b[31mred\x1b[0m answer"))
    done = agentdbg("replay", str(run), "--from", "step-2", "--base-url", server.base_url)
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout and "\x07" not in done.stdout
    assert "\\x1b]52;c;ZXZpbA==" in done.stdout and "[bold red]x[/bold red]" in done.stdout
    assert "new \\x1b[31mred" in done.stdout


def test_replay_reads_our_trace_through_the_index_not_whole(run, server, tmp_path, monkeypatch):
    """A fork of a 1 GB trace must not hold it whole: replay reads our format through the offset index
    (steps parsed on demand), so the whole-trace reader is never called; the fork is still complete."""
    from typer.testing import CliRunner

    from agentdbg import importers as importer_registry
    from agentdbg.cli import app
    from agentdbg.store.reader import read_trace

    def whole_read(path):  # pragma: no cover - reached only if replay reads the trace whole
        raise AssertionError(f"read_trace({path}) called: replay read the trace whole")

    monkeypatch.setattr(importer_registry, "read_trace", whole_read)
    server.enqueue(reply("Il fait beau à Paris."))
    out = tmp_path / "fork.jsonl"
    result = CliRunner().invoke(
        app, ["replay", str(run), "--from", "first-llm", "-o", str(out), "--base-url", server.base_url]
    )
    assert result.exit_code == 0, result.output
    recorded, forked = read_trace(run), read_trace(out)
    assert [span.kind for span in forked.spans] == [span.kind for span in recorded.spans[:2]]
    assert forked.header.fork_of is not None
    assert [message.text for message in forked.llm_spans[-1].llm.answer] == ["Il fait beau à Paris."]
