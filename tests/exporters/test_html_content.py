"""The HTML page shows what ``agentdbg show --step N`` shows: every step's record, prompt, answer and tools,
rebuilt from the page's references by the page's own script (headless chromium) and by the same algorithm
in Python (``html_steps.decode_step``), on the sample traces and the shared corpus of other tools' files."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agentdbg.cli.show_cmds import step_json
from agentdbg.exporters import export_trace
from agentdbg.exporters.html import decode_step
from agentdbg.exporters.html_steps import page_message
from agentdbg.importers import open_trace
from agentdbg.model.messages import Message

_STEP_BLOCKS = re.compile(
    r'<script type="application/json" class="agentdbg-step" id="agentdbg-step-(\d+)">(.*?)</script>', re.DOTALL
)
CORPUS = Path("/work/shared/corpus")
SAMPLES = sorted(Path("sample_traces").glob("*.jsonl"))
FOREIGN = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix not in (".md", ".tsv")) if CORPUS.is_dir() else []


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _export(source: Path, folder: Path) -> tuple[Path, dict[int, dict[str, Any]]]:
    trace = open_trace(source, lazy=True)  # as `agentdbg export` reads it: our own format through the index
    page = export_trace(trace, "html", folder / (source.name + ".html"))
    blocks = {int(n): json.loads(body) for n, body in _STEP_BLOCKS.findall(page.read_text(encoding="utf-8"))}
    return page, blocks


def _shown(source: Path) -> Iterator[dict[str, Any]]:
    """What `show --step N --json` prints for every step (the command's own function, on a whole read)."""
    trace = open_trace(source)
    for span in trace.spans:
        yield step_json(span)


def _as_page(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return _plain([page_message(Message.model_validate(m)) for m in messages])


def _same_as_show(shown: dict[str, Any], step: dict[str, Any]) -> None:
    record = _plain(shown["record"])
    assert step["address"] == shown["step"] and step["status"] == shown["status"]
    assert step["input"] == record.get("input")
    assert step["output"] == record.get("output")
    if "prompt" in shown:
        assert step["llm"]["prompt"] == _as_page(shown["prompt"]), shown["step"]
        assert step["llm"]["answer"] == _as_page(shown["response"])
        assert step["llm"]["tools"] == _plain(shown["tools"])
        assert step["llm"]["model"] == shown["model"] and step["llm"]["api"] == shown["api"]


@pytest.mark.parametrize("source", SAMPLES + FOREIGN, ids=lambda p: p.name)
def test_every_step_the_page_rebuilds_is_what_show_shows(tmp_path: Path, source: Path) -> None:
    _, blocks = _export(source, tmp_path)
    shown = list(_shown(source))
    assert sorted(blocks) == list(range(1, len(shown) + 1))
    for number, expected in enumerate(shown, start=1):
        _same_as_show(expected, decode_step(blocks.__getitem__, number))


def test_the_cli_prints_what_step_json_gives(tmp_path: Path) -> None:
    source = Path("sample_traces/03_tool_loop.jsonl")
    _, blocks = _export(source, tmp_path)
    for number in (2, len(blocks) - 1):
        printed = subprocess.run(
            [sys.executable, "-m", "agentdbg", "show", str(source), "--step", str(number), "--json"],
            capture_output=True, text=True, timeout=60,
        )
        assert printed.returncode == 0, printed.stderr
        _same_as_show(json.loads(printed.stdout), decode_step(blocks.__getitem__, number))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from tests.exporters.browser import chromium

    with chromium() as driver:
        yield driver


_CHROMIUM_SOURCES = [Path("sample_traces/09_nested_subagents.jsonl"), Path("/work/bench-data/suite_small.jsonl")]
_CHROMIUM_SOURCES += [p for p in FOREIGN if p.parent.name in ("claude_code", "swe_agent", "cassettes")]


@pytest.mark.parametrize("source", [p for p in _CHROMIUM_SOURCES if p.exists()], ids=lambda p: p.name)
def test_the_page_script_rebuilds_every_step_as_show_shows_it(browser: Any, tmp_path: Path, source: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    page, blocks = _export(source, tmp_path)
    browser.get(page.resolve().as_uri())
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#tree button.step"))
    rebuilt = browser.execute_script(
        "var out = []; for (var n = 1; n <= arguments[0]; n++) out.push(JSON.stringify(window.agentdbgStepData(n)));"
        " return out;",
        len(blocks),
    )
    for number, (expected, text) in enumerate(zip(_shown(source), rebuilt, strict=True), start=1):
        step = json.loads(text)
        assert step == _plain(decode_step(blocks.__getitem__, number)) or _compare_parts(step, blocks, number)
        _same_as_show(expected, step)


def _compare_parts(step: dict[str, Any], blocks: dict[int, dict[str, Any]], number: int) -> bool:
    """The script keeps the prompt's head and items beside it; the record, prompt, answer and tools must match."""
    decoded = _plain(decode_step(blocks.__getitem__, number))
    for key in ("input", "output", "status", "address"):
        assert step.get(key) == decoded.get(key), (number, key)
    if "llm" in decoded:
        for key in ("prompt", "answer", "tools", "model", "api", "params"):
            assert step["llm"].get(key) == decoded["llm"].get(key), (number, key)
    return True
