"""The HTML export as a file: self-contained, data block parses back, no unsafe DOM APIs, clear CLI errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from agentdbg.exporters import export_trace
from agentdbg.exporters.html import script_json, template
from agentdbg.importers import open_trace
from tests.exporters.sdk_run import record_sdk_run
from tests.exporters.traces import travel_trace_file

_DATA_BLOCK = re.compile(r'<script type="application/json" id="agentdbg-data">(.*?)</script>', re.DOTALL)
_STEP_BLOCKS = re.compile(
    r'<script type="application/json" class="agentdbg-step" id="agentdbg-step-(\d+)">(.*?)</script>', re.DOTALL
)


def _agentdbg(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentdbg", *args], capture_output=True, text=True, timeout=60
    )


def _blocks(page: str) -> tuple[dict, dict[int, dict]]:
    data = _DATA_BLOCK.findall(page)
    assert len(data) == 1
    steps = {int(n): json.loads(body) for n, body in _STEP_BLOCKS.findall(page)}
    return json.loads(data[0]), steps


def _value(steps: dict[int, dict], m0: list[int], ref: int) -> object:
    owner = max(n for n in steps if m0[n - 1] <= ref)
    return steps[owner]["new"][ref - steps[owner]["m0"]]


def _resolve(steps: dict[int, dict], m0: list[int], item: object) -> object:
    """What the page's script does: ``{"$r": n}`` is shared value n, ``{"$lit": x}`` an escaped object."""
    if isinstance(item, list):
        return [_resolve(steps, m0, x) for x in item]
    if isinstance(item, dict):
        if list(item) == ["$r"]:
            return _resolve(steps, m0, _value(steps, m0, item["$r"]))
        if set(item) == {"$x", "+"}:
            base = _value(steps, m0, item["$x"])
            head = _resolve(steps, m0, base if isinstance(base, list) else {"$r": item["$x"]})
            return [*head, *(_resolve(steps, m0, x) for x in item["+"])]
        if list(item) == ["$lit"]:
            item = item["$lit"]
        return {k: _resolve(steps, m0, v) for k, v in item.items()}
    return item


def test_one_file_with_the_trace_embedded_as_json(tmp_path: Path) -> None:
    from agentdbg.exporters.html import step_data

    trace = open_trace(record_sdk_run(tmp_path / "sdk.jsonl"))
    page = export_trace(trace, "html", tmp_path / "run.html").read_text(encoding="utf-8")
    data, blocks = _blocks(page)
    assert [step["address"] for step in data["steps"]] == ["step-1", "step-2", "step-3", "step-4", "step-5"]
    assert sorted(blocks) == [1, 2, 3, 4, 5]
    steps = {n: _resolve(blocks, data["m0"], block["step"]) for n, block in blocks.items()}
    for span in trace.spans:  # every step comes back whole from the shared values
        assert steps[span.step] == json.loads(json.dumps(step_data(span)))
    assert steps[2]["llm"]["prompt"][1]["text"] == "Should I pack an umbrella for Paris?"
    assert steps[5]["error"]["status_code"] == 400
    # history the next call repeats is written once: step 4's block refers back instead of repeating it
    assert len(json.dumps(blocks[4])) < len(json.dumps(step_data(trace.spans[3])))


def test_objects_spelled_like_references_stay_data() -> None:
    from agentdbg.exporters.html import ValueTable

    table = ValueTable()
    value = {"a": {"$r": 0}, "b": {"$lit": 1}, "c": {"$x": 0, "+": []}, "long": "x" * 500, "again": "x" * 500}
    shared = table.share(value)
    blocks = {1: {"m0": 0, "new": table.take(), "step": shared}}
    assert _resolve(blocks, [0], shared) == value


def test_a_growing_history_costs_its_new_messages_not_a_reference_each() -> None:
    from agentdbg.exporters.html import ValueTable

    table = ValueTable()
    history: list[str] = []
    blocks: dict[int, dict] = {}
    m0: list[int] = []
    for n in range(1, 301):
        history = [*history, f"message {n} " + "words " * 30]
        m0.append(table.count)
        shared = table.share({"messages": history})
        blocks[n] = {"m0": m0[-1], "new": table.take(), "step": shared}
        assert _resolve(blocks, m0, shared) == {"messages": history}
    size = len(json.dumps(blocks))
    assert size < 300 * 400  # linear: about one message (~200 bytes) plus a little per step


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
    data, blocks = _blocks(page)
    step = _resolve(blocks, data["m0"], blocks[1]["step"])
    assert data["steps"][0]["meta"] == "9m32s  51.9k in / 812 out"
    assert fmt_duration(572.45) == "9m32s" and fmt_tokens(51_933) == "51.9k"
    assert step["duration_text"] == "9m32s" and step["tokens_text"] == "51.9k in / 812 out"
    assert data["trace"]["totals_text"] == {"tokens": "51.9k in / 812 out tokens", "duration": "9m32s"}
    assert data["findings"] and all(f["step"] == "step-1" for f in data["findings"])
    assert {"severity", "pattern", "title", "evidence", "fix"} <= set(data["findings"][0])


def test_a_claude_code_session_exports_to_at_most_twice_its_size(tmp_path: Path) -> None:
    source = next(Path("/work/shared/corpus/claude_code").glob("ccv_fe5e1c67-*.jsonl"), None)
    if source is None:  # not every checkout has the shared corpus: use the repo's own Claude Code fixtures
        source = max(Path("tests/importers/data").rglob("*.jsonl"), key=lambda p: p.stat().st_size)
    out = export_trace(open_trace(source), "html", tmp_path / "cc.html")
    assert out.stat().st_size <= 2 * source.stat().st_size + 64_000  # + the page's own CSS and script


def test_no_external_assets_and_a_csp_that_forbids_fetching(tmp_path: Path) -> None:
    page = export_trace(open_trace(travel_trace_file(tmp_path)), "html", tmp_path / "t.html").read_text(
        encoding="utf-8"
    )
    assert not re.search(r"""<(?:link|img|iframe)\b|\s(?:src|href)\s*=""", page)
    assert "default-src 'none'" in page
    assert "<style>" in page and page.count("<script") == 2 + page.count('class="agentdbg-step"')


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
