"""--verify: every candidate fix is replayed through the real SDK against the local server, each fork diagnosed;
the table shows the real before → after, and the best verified fix is written as fix-N.json for replay --patch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from agentdbg.cli import app
from agentdbg.explain import explain
from agentdbg.importers import open_trace
from agentdbg.testing.llm_server import FakeLLMServer

from .conftest import base_url
from .helpers import FIX_TEXT, answer, json_reply, responder, system_fix, temperature_fix, write_loop

runner = CliRunner()


def test_verify_replays_each_fix_and_writes_the_best(
    tmp_path: Path, server: FakeLLMServer, keys: str
) -> None:
    trace_path = write_loop(tmp_path)
    server.responder = responder([json_reply(answer(temperature_fix(), system_fix()))])

    result = explain(trace_path, base_url=base_url(server, "openai"), verify=True, max_steps=4)

    assert result.checks is not None
    loose, cured = result.checks
    assert (loose.number, loose.status, loose.before) == (1, "max-steps", ["loop@step-2"])
    assert "loop@step-2" in loose.after and not loose.verified
    assert (cured.number, cured.status, cured.before, cured.after) == (2, "finished", ["loop@step-2"], [])
    assert cured.answer_changed is True
    assert cured.new_answer == "The documentation does not cover rotating an API key."
    assert cured.old_answer == "Sorry, I could not find it."
    fork = open_trace(str(cured.fork_path))
    assert fork.header.fork_of is not None and Path(str(cured.fork_path)).parent == tmp_path
    assert [span.origin for span in fork.spans] == ["recorded", "recorded", "patched"]
    assert result.best_fix == 2 and result.fix_path == str(tmp_path / "fix-2.json")
    assert json.loads(Path(result.fix_path).read_text()) == [
        {"op": "replace", "path": "/system", "value": FIX_TEXT}
    ]
    assert (
        result.replay_command
        == f"agentdbg replay {trace_path} --from step-3 --patch {tmp_path / 'fix-2.json'}"
    )
    assert result.exit_code == 0


def test_cli_table_shows_before_and_after_and_the_fix_replays_again(
    tmp_path: Path, server: FakeLLMServer, keys: str
) -> None:
    trace_path = write_loop(tmp_path)
    server.responder = responder([json_reply(answer(system_fix(), temperature_fix()))])
    args = [
        "explain",
        str(trace_path),
        "--base-url",
        base_url(server, "openai"),
        "--verify",
        "--max-steps",
        "4",
    ]

    shown = runner.invoke(app, args, env={"COLUMNS": "220"})

    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    row1 = next(line for line in lines if "1 system-prompt @step-3" in line)
    row2 = next(line for line in lines if "2 parameter @step-1" in line)
    assert "★" in row1 and "finished" in row1 and "1 (loop@step-2) → 0" in row1 and "changed" in row1
    assert "max-steps" in row2 and "1 (loop@step-2) → 2 (loop@step-2, error@step-" in row2
    assert f"fix 1 written to {tmp_path / 'fix-1.json'}" in shown.stdout
    assert "failure starts" in shown.stdout and "root cause" in shown.stdout
    assert "replaying 2 candidate fix(es)" in shown.stderr

    # the written fix is what `agentdbg replay --patch` takes
    again = runner.invoke(
        app,
        [
            "replay",
            str(trace_path),
            "--from",
            "step-3",
            "--patch",
            str(tmp_path / "fix-1.json"),
            "--base-url",
            base_url(server, "openai"),
            "-o",
            str(tmp_path / "again.jsonl"),
            "--json",
        ],
    )
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["new_answer"] == "The documentation does not cover rotating an API key."


def test_existing_fix_file_is_kept_without_force(tmp_path: Path, server: FakeLLMServer, keys: str) -> None:
    trace_path = write_loop(tmp_path)
    existing = tmp_path / "fix-1.json"
    existing.write_text("[]\n")
    server.responder = responder([json_reply(answer()), json_reply(answer())])
    args = ["explain", str(trace_path), "--base-url", base_url(server, "openai"), "--verify", "--json"]

    kept = runner.invoke(app, args)

    assert kept.exit_code == 1, kept.output
    data = json.loads(kept.stdout)
    assert data["fix_path"] is None and data["best_fix"] == 1
    assert "already exists; the verified fix was not written (pass --force" in data["notes"][0]
    assert existing.read_text() == "[]\n"

    forced = runner.invoke(app, [*args, "--force"])
    assert forced.exit_code == 0, forced.output
    assert json.loads(existing.read_text())[0]["value"] == FIX_TEXT
    forks = sorted(path.name for path in tmp_path.glob("*.fork.jsonl"))
    assert forks == ["run.fix-1-2.fork.jsonl", "run.fix-1.fork.jsonl"]  # forks are never overwritten


def test_no_verified_fix_exits_1(tmp_path: Path, server: FakeLLMServer, keys: str) -> None:
    trace_path = write_loop(tmp_path)
    server.responder = responder([json_reply(answer(temperature_fix()))])

    result = explain(trace_path, base_url=base_url(server, "openai"), verify=True, max_steps=3)

    assert result.checks is not None and result.checks[0].status == "max-steps"
    assert result.fix_path is None and result.exit_code == 1
    assert result.notes == [
        "no candidate fix was verified: none finished with fewer findings than the original"
    ]
    assert not (tmp_path / "fix-1.json").exists()


def test_real_subprocess_end_to_end(tmp_path: Path, server: FakeLLMServer, keys: str) -> None:
    trace_path = write_loop(tmp_path)
    server.responder = responder([json_reply(answer())])
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "agentdbg",
            "explain",
            str(trace_path),
            "--verify",
            "--json",
            "--base-url",
            base_url(server, "openai"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    data = json.loads(completed.stdout)
    assert data["checks"][0]["after"] == [] and data["fix_path"] == str(tmp_path / "fix-1.json")
    assert keys not in completed.stdout and keys not in completed.stderr
