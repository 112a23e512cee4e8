"""Every corpus file: detected by content, shown and imported through the CLI; fuzzed inputs never crash."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentdbg.cli import app
from agentdbg.errors import AgentdbgError
from agentdbg.importers import IMPORTERS, detect_format, open_trace
from agentdbg.store.reader import read_trace
from tests.importers.corpus import CORPUS, EXPECTED_FORMAT, corpus_files

FILES = corpus_files()


def test_the_expected_table_covers_the_whole_corpus() -> None:
    assert sorted(str(p.relative_to(CORPUS)) for p in FILES) == sorted(EXPECTED_FORMAT)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name[:30])
def test_detected_by_content_even_under_another_name(tmp_path: Path, path: Path) -> None:
    expected = EXPECTED_FORMAT[str(path.relative_to(CORPUS))]
    assert detect_format(path) == expected
    disguised = tmp_path / "trace.jsonl"  # the wrong extension for most of them
    shutil.copyfile(path, disguised)
    assert detect_format(disguised) == expected
    trace = open_trace(disguised)
    assert trace.spans and not [p for p in trace.problems if p.severity == "error"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name[:30])
def test_show_print_and_import_via_cli(tmp_path: Path, path: Path) -> None:
    runner = CliRunner()
    shown = runner.invoke(app, ["show", str(path), "--print"])
    assert shown.exit_code == 0, shown.output
    trace = open_trace(path)
    assert f"{len(trace.spans)} steps" in shown.stdout
    assert trace.spans[-1].address in shown.stdout
    out = tmp_path / "out.jsonl"
    imported = runner.invoke(app, ["import", str(path), "-o", str(out)])
    assert imported.exit_code == 0, imported.output
    back = read_trace(out)
    assert back.problems == []
    assert [(s.id, s.kind, s.parent_id, s.status) for s in back.spans] == [
        (s.id, s.kind, s.parent_id, s.status) for s in trace.spans
    ]
    assert back.totals()["input_tokens"] == trace.totals()["input_tokens"]
    assert back.header.metadata["imported_from"] == trace.format


def test_import_in_a_real_subprocess(tmp_path: Path) -> None:
    out = tmp_path / "session.jsonl"
    source = CORPUS / "claude_code/ccv_1af7fc5e-8455-4414-9ccd-011d40f70b2a.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "agentdbg", "import", str(source), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""  # results go to the file; the note goes to stderr
    assert "wrote" in done.stderr and "claude-code" in done.stderr
    assert len(read_trace(out).spans) == len(open_trace(source).spans)
    piped = subprocess.run(
        [sys.executable, "-m", "agentdbg", "import", str(source)], capture_output=True, text=True, timeout=120
    )
    lines = [json.loads(line) for line in piped.stdout.splitlines()]
    assert lines[0]["type"] == "trace" and len(lines) == 1 + len(open_trace(source).spans)


def test_formats_lists_every_importer() -> None:
    result = CliRunner().invoke(app, ["formats", "--json"])
    assert result.exit_code == 0
    names = [row["name"] for row in json.loads(result.stdout)]
    assert names == sorted(IMPORTERS)
    assert {
        "claude-code",
        "codex",
        "swe-agent",
        "mini-swe-agent",
        "openhands",
        "inspect-ai",
        "langfuse",
        "otlp-json",
        "vcr",
    } <= set(names)
    plain = CliRunner().invoke(app, ["formats"])
    assert "langfuse" in plain.stdout


def test_clear_errors_for_bad_arguments(tmp_path: Path) -> None:
    runner = CliRunner()
    source = str(CORPUS / "codex/kvsankar_real_session-01_redacted.jsonl")
    bad_format = runner.invoke(app, ["import", source, "--format", "nope"])
    assert (
        bad_format.exit_code == 2
        and "unknown format 'nope'" in bad_format.stderr
        and "Traceback" not in bad_format.output
    )
    missing = runner.invoke(app, ["import", str(tmp_path / "absent.json"), "-o", str(tmp_path / "o.jsonl")])
    assert missing.exit_code == 2 and "no such file" in missing.stderr
    unwritable = runner.invoke(
        app, ["import", source, "-o", str(tmp_path / "absent-dir-file" / "x" / "\0bad")]
    )
    assert unwritable.exit_code != 0 and "Traceback" not in unwritable.output
    forced = runner.invoke(
        app, ["show", source, "--print", "--format", "langfuse"]
    )  # the wrong importer: its problem named, then refused as a file no step could be read from (5e70d72)
    assert forced.exit_code == 2 and "not valid JSON" in forced.stderr and "Traceback" not in forced.output
    assert "no step could be read, nothing to show" in forced.stderr


def _mutations(data: bytes, rng: random.Random) -> list[bytes]:
    out = [data[: len(data) // 3], data[: len(data) - 7]]
    for _ in range(6):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            at = rng.randrange(len(mutated))
            mutated[at] = rng.choice(b'{}[]",:0123456789atnfeu \n')
        out.append(bytes(mutated))
    return out


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name[:30])
def test_mutated_files_never_crash(tmp_path: Path, path: Path) -> None:
    rng = random.Random(path.name)
    fmt = EXPECTED_FORMAT[str(path.relative_to(CORPUS))]
    for number, data in enumerate(_mutations(path.read_bytes(), rng)):
        target = tmp_path / f"m{number}{path.suffix}"
        target.write_bytes(data)
        try:
            trace = open_trace(target, format=fmt)
        except AgentdbgError:
            continue
        json.dumps([s.to_record() for s in trace.spans], default=str)


@pytest.mark.parametrize("name", sorted(set(EXPECTED_FORMAT.values())))
@pytest.mark.parametrize(
    "content", [b"", b"null", b"[]", b"{}", b'{"a": [1, {"b": null}]}', b"\xff\xfe garbage", b"42\n[1]\n"]
)
def test_every_importer_survives_odd_documents(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / "odd.bin"
    path.write_bytes(content)
    trace = open_trace(path, format=name)
    assert trace.format == name


def test_importers_do_not_import_rich_or_textual() -> None:
    code = "import sys, agentdbg.importers as i; i._load_builtin_importers(); print(any(m.split('.')[0] in ('rich', 'textual') for m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stderr


def test_jsonl_formats_detected_when_the_first_line_exceeds_the_sniffed_head(tmp_path: Path) -> None:
    huge = "x" * 100_000
    claude = tmp_path / "claude.jsonl"
    first = {
        "parentUuid": None,
        "isSidechain": False,
        "sessionId": "s1",
        "type": "user",
        "message": {"role": "user", "content": huge},
        "uuid": "u1",
        "timestamp": "2025-09-03T00:00:00Z",
    }
    claude.write_text(json.dumps(first) + "\n", encoding="utf-8")
    assert detect_format(claude) == "claude-code"
    codex = tmp_path / "codex.jsonl"
    meta = {
        "timestamp": "2026-06-05T04:58:20.653Z",
        "type": "session_meta",
        "payload": {"id": "x", "base_instructions": {"text": huge}},
    }
    codex.write_text(json.dumps(meta) + "\n", encoding="utf-8")
    assert detect_format(codex) == "codex"
    assert open_trace(codex).header.trace_id == "x"


def test_an_importer_bug_is_a_clear_error_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentdbg.importers import Importer

    def broken(path: Path) -> None:
        raise KeyError("payload")

    monkeypatch.setitem(
        IMPORTERS, "broken", Importer("broken", "always fails", lambda head, path: False, broken)
    )  # type: ignore[arg-type]
    path = tmp_path / "x.json"
    path.write_text("{}", encoding="utf-8")
    with pytest.raises(AgentdbgError, match="the broken importer could not read"):
        open_trace(path, format="broken")
    result = CliRunner().invoke(app, ["show", str(path), "--print", "--format", "broken"])
    assert result.exit_code == 2 and "could not read" in result.stderr and "Traceback" not in result.output
