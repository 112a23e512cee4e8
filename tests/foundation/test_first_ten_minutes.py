"""The small things a new user trips on in the first ten minutes (issue 18): each as the user meets it."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from pathlib import Path

from agentdbg import __version__
from agentdbg.testing.llm_server import FakeLLMServer, reply
from tests.importers.corpus import CORPUS

ROOT = Path(__file__).resolve().parents[2]
CLAUDE_SESSION = CORPUS / "claude_code" / "ccv_fe5e1c67-53e7-4862-81ae-d0e013e3270b.jsonl"


def _agentdbg(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentdbg", *args], capture_output=True, text=True, timeout=120, cwd=cwd, env=env
    )


def test_version() -> None:
    result = _agentdbg("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"agentdbg {__version__}"


def test_the_fake_server_on_a_taken_port_says_so_in_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "agentdbg.testing", "--port", str(port)], capture_output=True, text=True, timeout=30
        )
    assert result.returncode == 2
    assert f"error: cannot listen on port {port}" in result.stderr and "Traceback" not in result.stderr


def test_cat_expand_to_a_file_says_what_it_wrote(tmp_path: Path) -> None:
    out = tmp_path / "expanded.jsonl"
    result = _agentdbg("cat", "sample_traces/03_tool_loop.jsonl", "--expand", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert f"wrote {out} (requests expanded)" in result.stderr and out.stat().st_size > 0


def test_help_shows_each_argument_name_once() -> None:
    for command in ("validate", "diagnose", "search", "verify"):
        result = _agentdbg(command, "--help")
        assert result.returncode == 0
        assert "...}..." not in result.stdout and "DIR... <" not in result.stdout and "TRACE... <" not in result.stdout


def test_repeat_table_keeps_its_columns(tmp_path: Path) -> None:
    with FakeLLMServer(default=reply("Open a ticket.")) as server:
        env = {"PATH": "/usr/bin:/bin", "OPENAI_API_KEY": "test-key", "HOME": str(tmp_path)}
        result = _agentdbg(
            "replay", "sample_traces/03_tool_loop.jsonl", "--from", "step-4", "--repeat", "2",
            "--base-url", server.base_url + "/v1", "-o", str(tmp_path / "fork.jsonl"), env=env,
        )
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split()[-1] for line in result.stdout.splitlines() if line.startswith("  ")}
    assert rows["finished"] == "2" and rows["needs-tool-result"] == "0"


def test_piped_tables_never_split_a_long_path(tmp_path: Path) -> None:
    deep = tmp_path / ("a-rather-long-directory-name-for-traces-" * 3) / "of-a-team"
    deep.mkdir(parents=True)
    shutil.copy(ROOT / "sample_traces" / "03_tool_loop.jsonl", deep / "03_tool_loop.jsonl")
    trace = str(deep / "03_tool_loop.jsonl")
    assert len(trace) > 120
    for args in (("search", str(tmp_path), "--tool", "search_kb", "--no-cache"), ("diagnose", trace)):
        result = _agentdbg(*args, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "COLUMNS": "80"})
        assert trace in result.stdout, result.stdout
        assert all(line == line.rstrip() for line in result.stdout.splitlines()), "no padding on a pipe"


def test_diagnose_groups_repeated_findings_with_one_fix() -> None:
    result = _agentdbg("diagnose", str(CLAUDE_SESSION))
    fix = "fix: Catch the exception in the tool"
    assert result.stdout.count(fix) == 1, result.stdout
    assert "×23 alike at step-61, step-63" in result.stdout and "and 15 more" in result.stdout
    as_json = _agentdbg("diagnose", str(CLAUDE_SESSION), "--json")
    assert as_json.stdout.count('"pattern": "error"') >= 23, "JSON keeps every finding"


def test_search_ignores_non_trace_files_and_names_unreadable_ones(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "sample_traces", tmp_path / "samples")  # holds fixes/*.json patches and tools.py
    (tmp_path / "samples" / "broken.jsonl").write_text('{"type": "span", "id": "x"\n')
    result = _agentdbg("search", str(tmp_path), "--tool", "search_kb", "--no-cache")
    assert result.returncode == 0, result.stderr
    assert "non-trace file(s) ignored" in result.stderr and "fixes" not in result.stderr
    assert f"unreadable: {tmp_path / 'samples' / 'broken.jsonl'}:1: error: not valid JSON" in result.stderr
    assert "1 unreadable, 4 non-trace file(s) ignored" in result.stderr


def test_search_where_there_is_no_trace_says_so(tmp_path: Path) -> None:
    empty = _agentdbg("search", str(tmp_path), "--no-cache")
    assert empty.returncode == 1 and f"no trace file found in {tmp_path}: nothing was searched" in empty.stderr
    (tmp_path / "notes.json").write_text('{"a": 1}')
    other = _agentdbg("search", str(tmp_path), "--no-cache")
    assert "no trace file found in" in other.stderr and "(1 other file(s) ignored)" in other.stderr


def test_verify_skips_a_trace_whose_provider_has_no_key_and_runs_the_rest(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    for name in ("01_healthy_openai.jsonl", "02_anthropic_research.jsonl"):
        shutil.copy(ROOT / "sample_traces" / name, runs / name)
    patch = tmp_path / "fix.json"
    patch.write_text('{"params": {"temperature": 0}}')
    with FakeLLMServer(default=reply("Done.")) as server:
        env = {"PATH": "/usr/bin:/bin", "OPENAI_API_KEY": "test-key", "HOME": str(tmp_path)}
        result = _agentdbg(
            "verify", "--patch", str(patch), "--from", "first-llm", "--base-url", server.base_url + "/v1",
            "--out", str(tmp_path / "forks"), str(runs), "--json", env=env,
        )
    rows = {Path(row["trace"]).name: row for row in __import__("json").loads(result.stdout)}
    assert rows["02_anthropic_research.jsonl"]["status"] == "skipped"
    assert "ANTHROPIC_API_KEY is not set" in rows["02_anthropic_research.jsonl"]["error"]
    assert rows["01_healthy_openai.jsonl"]["status"] == "finished"
    assert "02_anthropic_research.jsonl: skipped (ANTHROPIC_API_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr
