"""The HTML page shows what ``agentdbg show --step N`` shows: every step's record, prompt, answer and tools,
rebuilt from the page's references by the page's own script (headless chromium) and by the same algorithm
in Python (``html_steps.page_steps``), on the sample traces and the shared corpus of other tools' files."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agentdbg.cli.show_cmds import step_json
from agentdbg.exporters import export_trace
from agentdbg.exporters.html_steps import page_message, page_steps
from agentdbg.importers import open_trace
from agentdbg.model.messages import Message

CORPUS = Path("/work/shared/corpus")
SAMPLES = sorted(Path("sample_traces").glob("*.jsonl"))
FOREIGN = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix not in (".md", ".tsv")) if CORPUS.is_dir() else []


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


class _PageSteps:
    """``findall(page)``: every step of a page as ``(number, JSON)``, as the page shows it (``page_steps``), for
    the tests that read a page's steps as blocks (``test_export_chain``); ``decode_step`` leaves such a step as it is."""

    def findall(self, page: str) -> list[tuple[str, str]]:
        return [(str(number), json.dumps(step)) for number, step in page_steps(page).items()]


_STEP_BLOCKS = _PageSteps()


def _export(source: Path, folder: Path) -> tuple[Path, dict[int, dict[str, Any]]]:
    """The page and every step as it shows it, rebuilt in Python (``html_steps.page_steps``)."""
    trace = open_trace(source, lazy=True)  # as `agentdbg export` reads it: our own format through the index
    page = export_trace(trace, "html", folder / (source.name + ".html"))
    return page, page_steps(page.read_text(encoding="utf-8"))


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
    _, steps = _export(source, tmp_path)
    shown = list(_shown(source))
    assert sorted(steps) == list(range(1, len(shown) + 1))
    for number, expected in enumerate(shown, start=1):
        _same_as_show(expected, steps[number])


def test_the_cli_prints_what_step_json_gives(tmp_path: Path) -> None:
    source = Path("sample_traces/03_tool_loop.jsonl")
    _, steps = _export(source, tmp_path)
    for number in (2, len(steps) - 1):
        printed = subprocess.run(
            [sys.executable, "-m", "agentdbg", "show", str(source), "--step", str(number), "--json"],
            capture_output=True, text=True, timeout=60,
        )
        assert printed.returncode == 0, printed.stderr
        _same_as_show(json.loads(printed.stdout), steps[number])


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from tests.exporters.browser import chromium

    with chromium() as driver:
        yield driver


_CHROMIUM_SOURCES = [*SAMPLES, Path("/work/bench-data/suite_small.jsonl"), *FOREIGN]


@pytest.mark.parametrize("source", [p for p in _CHROMIUM_SOURCES if p.exists()], ids=lambda p: p.name)
def test_the_page_script_rebuilds_every_step_as_show_shows_it(browser: Any, tmp_path: Path, source: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    page, steps = _export(source, tmp_path)
    browser.get(page.resolve().as_uri())
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#tree button.step"))
    rebuilt = browser.execute_script(
        "var out = []; for (var n = 1; n <= arguments[0]; n++) out.push(JSON.stringify(window.agentdbgStepData(n)));"
        " return out;",
        len(steps),
    )
    for number, (expected, text) in enumerate(zip(_shown(source), rebuilt, strict=True), start=1):
        step = json.loads(text)
        _same_parts(step, _plain(steps[number]), number)
        _same_as_show(expected, step)


_FIELDS = ("address", "id", "kind", "name", "status", "origin", "duration", "duration_text", "tokens_text", "usage",
           "error", "attributes", "input", "output", "tool")


def _same_parts(step: dict[str, Any], decoded: dict[str, Any], number: int) -> None:
    """The script's step equals Python's on every field the page shows (the script keeps a block step's prompt
    head and items beside its prompt)."""
    for key in _FIELDS:
        assert step.get(key) == decoded.get(key), (number, key, step.get(key), decoded.get(key))
    assert ("llm" in step) == ("llm" in decoded), number
    if "llm" in decoded:
        for key in ("prompt", "answer", "tools", "model", "api", "params", "provider"):
            assert step["llm"].get(key) == decoded["llm"].get(key), (number, key)
