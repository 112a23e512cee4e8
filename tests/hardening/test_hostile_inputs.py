"""Opening inputs: odd `type` fields, unrecognised files, empty and binary files, pipes, FIFOs, devices,
CR-only line ends and symlink loops never give a traceback, a hang or a silent "0 steps"."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentdbg.cli import app
from tests.hardening.limits import run_bounded

HEADER = {"type": "trace", "schema_version": 1, "trace_id": "t", "name": "hostile", "started_at": 1764150000.0}
SPAN = {"type": "span", "id": "a", "kind": "tool", "name": "lookup", "started_at": 1764150000.0, "ended_at": 1764150001.0}
JSON_TYPES = [None, True, 1, -1.5, 10**40, "", "other", [], [1, "a"], {}, {"a": 1}]


def agentdbg(*args: str, stdin: bytes | None = None, timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    proc = subprocess.run(
        [sys.executable, "-m", "agentdbg", *args], input=stdin, capture_output=True, timeout=timeout
    )
    assert b"Traceback" not in proc.stderr, proc.stderr.decode()
    return proc


def lines(*records: object) -> str:
    return "".join(json.dumps(record) + "\n" for record in records)


def cli(*args: str) -> tuple[int, str, str]:
    """In-process run (fast, for the big matrices): exit code, stdout, stderr."""
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("kind", JSON_TYPES, ids=lambda v: type(v).__name__ + ":" + json.dumps(v)[:12])
def test_a_type_field_of_every_json_type_first_in_a_file(tmp_path: Path, kind: object) -> None:
    alone = tmp_path / "alone.jsonl"
    alone.write_text(lines({"type": kind}))
    ours = tmp_path / "ours.jsonl"
    ours.write_text(lines({"type": kind}, HEADER, SPAN))
    for command in (("show", "--print"), ("validate",), ("diagnose",)):
        code, _, err = cli(*command, str(alone))
        assert code == 2, (command, err)
        assert str(alone) in err and "agentdbg formats" in err and len(err.strip().splitlines()) == 1
        assert cli(*command, str(ours))[0] in (0, 1)
    assert cli("validate", str(ours))[0] == 1  # ours, with the one bad line named
    code, _, err = cli("search", str(tmp_path), "--text", "lookup")
    assert code == 0 and "1 of 1 trace(s) matched" in err and "1 non-trace file(s) ignored" in err, err


def test_an_unrecognised_file_exits_2_in_one_line_and_import_writes_nothing(tmp_path: Path) -> None:
    other = tmp_path / "other.jsonl"
    other.write_text(lines({"event": "start", "payload": {"x": 1}}, {"event": "stop"}))
    done = agentdbg("show", "--print", str(other))
    message = done.stderr.decode().strip()
    assert done.returncode == 2 and len(message.splitlines()) == 1
    assert "looks like JSON lines whose first object has keys event, payload" in message
    assert "formats tried: agentdbg, " in message and "agentdbg formats" in message
    out = tmp_path / "out.jsonl"
    assert agentdbg("import", str(other), "-o", str(out)).returncode == 2
    assert not out.exists()
    assert agentdbg("import", str(other)).stdout == b""


@pytest.mark.parametrize(
    ("content", "looks"),
    [
        (b"", "empty file"),
        (b"\n\n  \n", "only whitespace"),
        (bytes(range(256)) * 8, "binary data"),
        (os.urandom(4096).replace(b"\n", b"x"), "binary data"),
        (b"PK\x03\x04" + b"\x00" * 60, "a zip archive"),
        (b"# notes\nnot a trace at all\n", "text starting"),
    ],
    ids=["empty", "whitespace", "bytes", "random", "zip", "text"],
)
def test_empty_and_binary_files_are_problems_not_ok(tmp_path: Path, content: bytes, looks: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content)
    for command in (("validate",), ("show", "--print"), ("diagnose",)):
        code, _, err = cli(*command, str(path))
        assert code == 2, (command, err)
        assert looks in err and "ok:" not in err and "truncated" not in err and len(err.strip().splitlines()) == 1


def test_cr_only_line_ends_read_as_lines(tmp_path: Path) -> None:
    path = tmp_path / "mac.jsonl"
    path.write_bytes(lines(HEADER, SPAN).replace("\n", "\r").encode())
    assert agentdbg("validate", str(path)).returncode == 0
    shown = agentdbg("show", "--print", str(path)).stdout.decode()
    assert "hostile" in shown and "lookup" in shown and "1 steps" in shown


@pytest.mark.parametrize("command", [("show", "--print"), ("validate",), ("diagnose",)])
def test_a_pipe_is_read_whole(tmp_path: Path, command: tuple[str, ...]) -> None:
    data = lines(HEADER, SPAN, {**SPAN, "id": "b", "name": "second"}).encode()
    done = agentdbg(*command, "/dev/stdin", stdin=data)
    assert done.returncode == 0, done.stderr
    if command[0] == "show":
        assert b"second" in done.stdout and b"2 steps" in done.stdout
    cr = agentdbg(*command, "/dev/stdin", stdin=data.replace(b"\n", b"\r"))
    assert cr.returncode == 0, cr.stderr


def test_process_substitution_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(lines(HEADER, SPAN))
    done = subprocess.run(
        ["bash", "-c", f'"{sys.executable}" -m agentdbg show --print <(cat "{path}")'],
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0 and b"lookup" in done.stdout and b"Traceback" not in done.stderr, done.stderr


def test_a_fifo_nobody_writes_to_never_hangs(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "agentdbg", "show", "--print", str(fifo)],
        capture_output=True,
        timeout=30,
        env={**os.environ, "AGENTDBG_PIPE_TIMEOUT": "1"},
    )
    assert time.monotonic() - started < 15
    assert done.returncode == 2 and b"no data for 1 s" in done.stderr and str(fifo).encode() in done.stderr


def test_a_fifo_with_a_late_writer_is_read(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    reader = subprocess.Popen(
        [sys.executable, "-m", "agentdbg", "show", "--print", str(fifo)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        time.sleep(0.5)
        with open(fifo, "w") as writer:
            writer.write(lines(HEADER, SPAN))
        out, err = reader.communicate(timeout=30)
    finally:
        reader.kill()
    assert reader.returncode == 0 and b"lookup" in out, err


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_devices_are_read_with_bounds(device: str) -> None:
    figures = run_bounded([sys.executable, "-m", "agentdbg", "show", "--print", device])
    assert figures.returncode == 2, figures.stderr
    assert figures.seconds < 30 and figures.max_rss_mib < 1024, figures
    message = figures.stderr.strip()
    assert device in message and len(message.splitlines()) == 1, message


def test_search_walks_past_symlink_loops(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    for name in ("a", "b", "c"):
        folder = tree / name
        folder.mkdir(parents=True)
        for number in range(3):
            (folder / f"{number}.jsonl").write_text(lines(HEADER, SPAN))
        (folder / "loop1.jsonl").symlink_to(folder / "loop2.jsonl")
        (folder / "loop2.jsonl").symlink_to(folder / "loop1.jsonl")
        (folder / "self").symlink_to(folder / "self")
        os.mkfifo(folder / "fifo.jsonl")
    (tree / "up").symlink_to(tree)  # a loop through a folder link: links to folders are not followed
    (tree / "0self.jsonl").symlink_to(tree / "0self.jsonl")  # sorts first at the top
    done = agentdbg("search", str(tree), "--text", "lookup", timeout=30)
    assert done.returncode == 0, done.stderr
    assert b"9 of 9 trace(s) matched" in done.stderr


def test_the_tui_reads_a_pipe_whole(tmp_path: Path) -> None:
    """`agentdbg show <(...)` on a terminal: the TUI gets the whole trace, not what the sniff left."""
    import pty
    import select

    path = tmp_path / "t.jsonl"
    path.write_text(lines(HEADER, SPAN))
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        ["bash", "-c", f'exec "{sys.executable}" -m agentdbg show <(cat "{path}")'],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env={**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "30"},
    )
    os.close(slave)
    screen = b""
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and b"lookup" not in screen:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    screen += os.read(master, 65536)
                except OSError:
                    break
    finally:
        proc.kill()
        proc.wait(timeout=30)
        os.close(master)
    assert b"lookup" in screen and b"Traceback" not in screen
