"""The HTML export as a file: self-contained, data block parses back, no unsafe DOM APIs, clear CLI errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from agentdbg.exporters import export_trace
from agentdbg.exporters.html import decode_step, script_json, template
from agentdbg.importers import open_trace
from tests.exporters.sdk_run import record_sdk_run
from tests.exporters.traces import travel_trace_file, write_records

_DATA_BLOCK = re.compile(r'<script type="application/json" id="agentdbg-data">(.*?)</script>', re.DOTALL)
_STEP_BLOCKS = re.compile(
    r'<script type="application/json" class="agentdbg-step" id="agentdbg-step-(\d+)">(.*?)</script>', re.DOTALL
)
_LINE_BLOCKS = re.compile(r'<script type="application/json" class="agentdbg-line">(.*?)</script>', re.DOTALL)
_ROW_BLOCKS = re.compile(r'<script type="application/json" class="agentdbg-rows">(.*?)</script>', re.DOTALL)


def _agentdbg(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentdbg", *args], capture_output=True, text=True, timeout=60
    )


def _blocks(page: str) -> tuple[dict, dict[int, dict], list[list]]:
    data = _DATA_BLOCK.findall(page)
    assert len(data) == 1
    steps = {int(n): json.loads(body) for n, body in _STEP_BLOCKS.findall(page)}
    rows = [row for body in _ROW_BLOCKS.findall(page) for row in json.loads(body)]
    return json.loads(data[0]), steps, rows


def test_one_file_with_the_trace_embedded_as_json(tmp_path: Path) -> None:
    trace = open_trace(record_sdk_run(tmp_path / "sdk.jsonl"))
    page = export_trace(trace, "html", tmp_path / "run.html").read_text(encoding="utf-8")
    data, blocks, rows = _blocks(page)
    assert [row[0] for row in rows] == [1, 2, 3, 4, 5]
    assert sorted(blocks) == [1, 2, 3, 4, 5]
    steps = {n: decode_step(blocks.__getitem__, n) for n in blocks}
    for span in trace.spans:  # every step comes back whole from the references
        assert steps[span.step]["input"] == json.loads(json.dumps(span.input))
        assert steps[span.step]["output"] == json.loads(json.dumps(span.output))
    assert steps[2]["llm"]["prompt"][1]["text"] == "Should I pack an umbrella for Paris?"
    assert steps[5]["error"]["status_code"] == 400
    # history the next call repeats is written once: step 4's block refers back instead of repeating it
    assert blocks[4]["ref"]["step"] == 2 and "prompt" not in blocks[4]["llm"]
    assert len(json.dumps(blocks[4])) < len(json.dumps(steps[4]))


def test_a_growing_history_costs_its_new_messages_not_a_copy_each(tmp_path: Path) -> None:
    from agentdbg.exporters.html_steps import page_steps
    from tests.exporters.test_export_streaming import growing_run

    source = write_records(tmp_path / "grow.jsonl", growing_run(300))
    page = export_trace(open_trace(source, lazy=True), "html", tmp_path / "grow.html").read_text(encoding="utf-8")
    lines = _LINE_BLOCKS.findall(page)
    assert [json.loads(line) for line in lines] == [json.loads(line) for line in source.read_text().splitlines()]
    assert len(page.encode()) < 1.2 * source.stat().st_size + 200_000  # the file's compact lines, nearly as written
    steps = page_steps(page)
    last = steps[max(n for n, step in steps.items() if step["kind"] == "llm")]
    assert len(last["input"]["request"]["messages"]) == 2 + 2 * 299 and len(last["llm"]["prompt"]) == 2 + 2 * 299


def test_durations_tokens_and_findings_as_the_terminal_writes_them(tmp_path: Path) -> None:
    from agentdbg.formatting import fmt_duration, fmt_tokens

    records = [
        {"type": "trace", "trace_id": "t-fmt", "name": "fmt", "started_at": 1_700_000_000.0},
        {
            "type": "span", "id": "a", "kind": "llm", "name": "chat", "started_at": 1_700_000_000.0,
            "ended_at": 1_700_000_572.45, "usage": {"input_tokens": 51_933, "output_tokens": 812},
            "input": {"provider": "openai", "api": "chat.completions",
                      "request": {"model": "m", "messages": [{"role": "user", "content": "hi"}]}},
            "output": {"choices": [{"finish_reason": "tool_calls", "message": {"role": "assistant", "content": None,
                       "tool_calls": [{"id": "c1", "type": "function",
                                       "function": {"name": "nope", "arguments": "{}"}}]}}]},
        },
    ]
    path = tmp_path / "fmt.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    page = export_trace(open_trace(path), "html", tmp_path / "fmt.html").read_text(encoding="utf-8")
    data, blocks, rows = _blocks(page)
    step = decode_step(blocks.__getitem__, 1)
    assert rows[0][7] == "9m32s  51.9k in / 812 out"
    assert fmt_duration(572.45) == "9m32s" and fmt_tokens(51_933) == "51.9k"
    assert step["duration_text"] == "9m32s" and step["tokens_text"] == "51.9k in / 812 out"
    assert data["trace"]["totals_text"] == {"tokens": "51.9k in / 812 out tokens", "duration": "9m32s"}
    assert data["findings"] and all(f["step"] == "step-1" for f in data["findings"])
    assert {"severity", "pattern", "title", "evidence", "fix"} <= set(data["findings"][0])


def test_a_claude_code_session_exports_to_at_most_three_times_its_size(tmp_path: Path) -> None:
    """Linear, not quadratic: the page holds each message as recorded (the raw record) and as the neutral
    prompt, each once; a re-sent history is a reference."""
    source = next(Path("/work/shared/corpus/claude_code").glob("ccv_fe5e1c67-*.jsonl"), None)
    if source is None:  # not every checkout has the shared corpus: use the repo's own Claude Code fixtures
        source = max(Path("tests/importers/data").rglob("*.jsonl"), key=lambda p: p.stat().st_size)
    out = export_trace(open_trace(source), "html", tmp_path / "cc.html")
    assert out.stat().st_size <= 3 * source.stat().st_size + 64_000  # + the page's own CSS and script


def test_no_external_assets_and_a_csp_that_forbids_fetching(tmp_path: Path) -> None:
    page = export_trace(open_trace(travel_trace_file(tmp_path)), "html", tmp_path / "t.html").read_text(
        encoding="utf-8"
    )
    assert not re.search(r"""<(?:link|img|iframe)\b|\s(?:src|href)\s*=""", page)
    assert "default-src 'none'" in page
    assert "<style>" in page and page.count("<script") == 2 + page.count('class="agentdbg-step"') + page.count(
        'class="agentdbg-rows"'
    )


def test_viewer_never_parses_trace_text_as_markup() -> None:
    source = template()
    for api in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert api not in source, api
    assert source.count("/*AGENTDBG_DATA*/") == 1 and source.count("<!--AGENTDBG_STEPS-->") == 1


def test_script_json_escapes_everything_that_could_end_the_block() -> None:
    value = {"text": "</script><!-- & \u2028 >", "nan": float("nan"), "lone": "\ud800"}
    encoded = script_json(value)
    assert not set("<>&") & set(encoded) and "\u2028" not in encoded
    assert json.loads(encoded) == {"text": "</script><!-- & \u2028 >", "nan": "nan", "lone": "\ud800"}
    fast = script_json({"text": "</script>", "nan": float("nan"), "when": 1.5})  # the orjson path
    assert "<" not in fast and json.loads(fast) == {"text": "</script>", "nan": None, "when": 1.5}


def test_cli_errors_are_clear_and_never_tracebacks(tmp_path: Path) -> None:
    trace_file = travel_trace_file(tmp_path)
    cases = {
        ("export", str(trace_file)): "no export format given",
        ("export", str(trace_file), "--format", "pdf"): "unknown export format 'pdf'",
        ("export", str(tmp_path / "missing.jsonl"), "--format", "html"): "no such file",
        ("export", str(trace_file), "--format", "html", "-o", str(tmp_path)): "is a directory",
        (
            "export",
            str(trace_file),
            "--format",
            "html",
            "-o",
            str(trace_file / "x.html"),
        ): "is a file, not a directory",
    }
    for args, message in cases.items():
        result = _agentdbg(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr
        assert result.stdout == ""


def test_export_writes_html_to_stdout(tmp_path: Path) -> None:
    result = _agentdbg("export", str(travel_trace_file(tmp_path)), "-f", "html")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("<!DOCTYPE html>") and len(_DATA_BLOCK.findall(result.stdout)) == 1


@pytest.mark.writes_secrets(reason="the input trace quotes a key, plainly and escaped; the test checks the page")
def test_the_page_lines_mask_keys_however_the_file_escapes_them(tmp_path: Path) -> None:
    """A key in a line is masked in the page whether the file writes it plainly, with ``\\u`` escapes or ``\\/``
    (the line is written again by orjson first), and no line can end its block."""
    from agentdbg.exporters.html_steps import page_steps
    from tests.exporters.traces import HEADER, T0

    key = "sk-proj-" + "a1B2c3D4e5F6g7H8i9J0" * 2
    url = "https://user:hunter2secret@example.com/x?token=abc123"

    def llm(span_id: str, text: str) -> dict:
        return {
            "type": "span", "id": span_id, "kind": "llm", "name": "chat", "started_at": T0, "ended_at": T0 + 1,
            "input": {"provider": "openai", "api": "chat.completions",
                      "request": {"model": "m", "messages": [{"role": "user", "content": text}]}},
            "output": {"choices": [{"message": {"role": "assistant", "content": "ok </script><b>x</b>"}}]},
        }  # fmt: skip

    plain = json.dumps(llm("a", f"use {key} at {url}"))
    escaped = json.dumps(llm("b", f"use {key} at {url}"), ensure_ascii=True).replace("-", "\\u002d").replace("/", "\\/")
    assert key not in escaped and "\\u002d" in escaped and "\\/" in escaped
    source = tmp_path / "keys.jsonl"
    source.write_text("\n".join([json.dumps(HEADER), plain, escaped]) + "\n", encoding="utf-8")
    page = export_trace(open_trace(source, lazy=True), "html", tmp_path / "keys.html").read_text(encoding="utf-8")
    assert len(_LINE_BLOCKS.findall(page)) == 3
    assert key[8:] not in page and "hunter2secret" not in page and "abc123" not in page
    assert "</script><b>" not in page and "<b>x" not in page
    steps = page_steps(page)
    for number in (1, 2):
        text = steps[number]["llm"]["prompt"][0]["text"]
        assert text.startswith("use sk-proj-[REDACTED] at https://user:[REDACTED]@example.com/x?token=[REDACTED]"), text
        assert steps[number]["llm"]["answer"][0]["text"] == "ok </script><b>x</b>"


def test_page_lines_escape_every_character_that_could_end_a_block() -> None:
    from agentdbg.exporters.html import page_lines

    chunk = '{"a": "</script><!-- & \u2028 \u2029 \u00e9"}\n{"b": 1}'.encode()
    written = page_lines(chunk)
    assert b"<" not in written.replace(b'</script>\n<script type="application/json" class="agentdbg-line">', b"")
    assert b">" not in written.split(b"</script>")[0] and b"&" not in written and "\u2028".encode() not in written
    first, second = written.split(b'</script>\n<script type="application/json" class="agentdbg-line">')
    assert json.loads(first) == {"a": "</script><!-- & \u2028 \u2029 \u00e9"} and json.loads(second) == {"b": 1}
