"""The HTML export as a file: self-contained, data block parses back, no unsafe DOM APIs, clear CLI errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from agentdbg.exporters import export_trace
from agentdbg.exporters.html import page_data, script_json, template
from agentdbg.importers import open_trace
from tests.exporters.sdk_run import record_sdk_run
from tests.exporters.traces import travel_trace_file

_DATA_BLOCK = re.compile(r'<script type="application/json" id="agentdbg-data">(.*?)</script>', re.DOTALL)


def _agentdbg(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentdbg", *args], capture_output=True, text=True, timeout=60
    )


def test_one_file_with_the_trace_embedded_as_json(tmp_path: Path) -> None:
    trace = open_trace(record_sdk_run(tmp_path / "sdk.jsonl"))
    page = export_trace(trace, "html", tmp_path / "run.html").read_text(encoding="utf-8")
    blocks = _DATA_BLOCK.findall(page)
    assert len(blocks) == 1
    data = json.loads(blocks[0])
    assert data == json.loads(json.dumps(page_data(trace)))
    assert [step["address"] for step in data["steps"]] == ["step-1", "step-2", "step-3", "step-4", "step-5"]
    assert data["steps"][1]["llm"]["prompt"][1]["text"] == "Should I pack an umbrella for Paris?"
    assert data["steps"][4]["error"]["status_code"] == 400


def test_no_external_assets_and_a_csp_that_forbids_fetching(tmp_path: Path) -> None:
    page = export_trace(open_trace(travel_trace_file(tmp_path)), "html", tmp_path / "t.html").read_text(
        encoding="utf-8"
    )
    assert not re.search(r"""<(?:link|img|iframe)\b|\s(?:src|href)\s*=""", page)
    assert "default-src 'none'" in page
    assert "<style>" in page and page.count("<script") == 2


def test_viewer_never_parses_trace_text_as_markup() -> None:
    source = template()
    for api in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert api not in source, api
    assert source.count("/*AGENTDBG_DATA*/") == 1


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
