"""The HTML export in a real headless chromium: it opens, shows the steps, a click shows a step's prompt,
and hostile trace text stays text."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from tests.exporters.browser import chromium
from tests.exporters.traces import HEADER, T0, travel_records, travel_trace_file, write_records


@pytest.fixture(scope="module")
def browser() -> Iterator:
    with chromium() as driver:
        yield driver


def _export_html(trace_file: Path) -> Path:
    out = trace_file.with_suffix(".html")
    result = subprocess.run(
        [sys.executable, "-m", "agentdbg", "export", str(trace_file), "--format", "html", "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return out


def _open(browser, page: Path) -> list:
    browser.get(page.resolve().as_uri())
    WebDriverWait(browser, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#tree button.step"))
    return browser.find_elements(By.CSS_SELECTOR, "#tree button.step")


def _click(browser, address: str) -> None:
    browser.find_element(By.CSS_SELECTOR, f'button.step[data-step="{address}"]').click()
    WebDriverWait(browser, 10).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "#detail h2").text.startswith(address + " ")
    )


def test_page_opens_shows_steps_and_a_click_shows_the_prompt(browser, tmp_path: Path) -> None:
    page = _export_html(travel_trace_file(tmp_path))
    buttons = _open(browser, page)
    assert [b.get_attribute("data-step") for b in buttons] == [f"step-{n}" for n in range(1, 8)]
    tree = browser.find_element(By.ID, "tree").text
    for name in ("travel-agent", "get_weather", "booking-agent", "anthropic.messages", "send_email"):
        assert name in tree
    assert "7 steps" in browser.find_element(By.ID, "totals").text
    assert browser.title == "agentdbg · travel-agent"

    _click(browser, "step-4")
    prompt = browser.find_element(By.ID, "prompt").text
    assert "You are a travel assistant." in prompt
    assert "Should I pack an umbrella for Paris?" in prompt
    assert (
        "tool call get_weather" in prompt and "18°C, light rain" in prompt
    )  # call and result in the history
    assert "Yes: light rain, 18°C. Pack it." in browser.find_element(By.ID, "response").text
    assert "120 in / 12 out" in browser.find_element(By.CSS_SELECTOR, "#detail .facts").text
    assert "selected" in browser.find_element(
        By.CSS_SELECTOR, 'button.step[data-step="step-4"]'
    ).get_attribute("class")

    _click(browser, "step-3")
    assert '"city": "Paris"' in browser.find_element(By.ID, "tool-call").text
    assert browser.find_element(By.ID, "tool-result").text == "18°C, light rain"

    _click(browser, "step-6")
    assert "APIStatusError: Error code: 529 - overloaded" in browser.find_element(By.ID, "error").text
    assert "You summarise bookings." in browser.find_element(By.ID, "prompt").text

    browser.find_element(By.CSS_SELECTOR, 'button.step[data-step="step-6"]').send_keys(Keys.ARROW_DOWN)
    WebDriverWait(browser, 10).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "#detail h2").text.startswith("step-7 ")
    )
    assert "incomplete" in browser.find_element(By.CSS_SELECTOR, "#detail .facts").text


def test_page_makes_no_network_request(browser, tmp_path: Path) -> None:
    page = _export_html(travel_trace_file(tmp_path))
    _open(browser, page)
    _click(browser, "step-2")
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    assert browser.find_elements(By.CSS_SELECTOR, "link, img, iframe, [src]") == []


HOSTILE = '<script>alert(1)</script> and </script><img src=x onerror="window.__pwned=1"> <b>bold?</b> <!-- x'


def test_hostile_trace_text_is_shown_as_text(browser, tmp_path: Path) -> None:
    records = [
        {**HEADER, "name": "</title><script>alert(2)</script>"},
        {
            "type": "span",
            "id": "llm-1",
            "kind": "llm",
            "name": "<i>chat</i></script>",
            "started_at": T0,
            "ended_at": T0 + 1,
            "input": {
                "provider": "openai",
                "api": "chat.completions",
                "request": {"model": "gpt-4o", "messages": [{"role": "user", "content": HOSTILE}]},
            },
            "output": {
                "choices": [
                    {
                        "finish_reason": "stop",
                        "message": {
                            "role": "assistant",
                            "content": "</script><script>window.__pwned=2</script>",
                        },
                    }
                ]
            },
        },
    ]
    page = _export_html(write_records(tmp_path / "hostile.jsonl", records))
    raw = page.read_text(encoding="utf-8")
    assert "</script><img" not in raw and "<script>alert(1)" not in raw and "<b>bold" not in raw

    buttons = _open(browser, page)
    _click(browser, "step-1")
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 - raises when no alert opened
    assert browser.execute_script("return window.__pwned === undefined")
    # the file's two lines, the rows block, the data block and the viewer, nothing injected
    assert len(browser.find_elements(By.CSS_SELECTOR, "script.agentdbg-line")) == 2
    assert len(browser.find_elements(By.TAG_NAME, "script")) == 5
    assert browser.find_elements(By.CSS_SELECTOR, "img, b, i") == []
    assert browser.find_element(By.CSS_SELECTOR, "#prompt pre").text == HOSTILE
    assert (
        browser.find_element(By.CSS_SELECTOR, "#response pre").text
        == "</script><script>window.__pwned=2</script>"
    )
    assert "<i>chat</i></script>" in buttons[0].text
    assert browser.find_element(By.ID, "trace-name").text == "</title><script>alert(2)</script>"


def test_filter_keyboard_and_folded_history(browser, tmp_path: Path) -> None:
    history = [{"role": "system", "content": "Be brief."}]
    for turn in range(1, 7):
        history += [
            {"role": "user", "content": f"question {turn}"},
            {"role": "assistant", "content": f"answer {turn}"},
        ]
    records = travel_records()
    records.insert(
        2,
        {
            "type": "span",
            "id": "long",
            "parent_id": "root",
            "kind": "llm",
            "name": "long-chat",
            "started_at": T0 + 0.05,
            "ended_at": T0 + 0.09,
            "input": {
                "provider": "openai",
                "api": "chat.completions",
                "request": {"model": "gpt-4o", "messages": history},
            },
            "output": {
                "choices": [
                    {"finish_reason": "stop", "message": {"role": "assistant", "content": "answer 7"}}
                ]
            },
        },
    )
    page = _export_html(write_records(tmp_path / "long.jsonl", records))
    _open(browser, page)
    _click(browser, "step-2")
    prompt = browser.find_element(By.ID, "prompt")
    assert (
        browser.find_element(By.CSS_SELECTOR, "#prompt details.earlier summary").text == "8 earlier messages"
    )
    assert "Be brief." in prompt.text and "question 6" in prompt.text and "question 1" not in prompt.text
    browser.find_element(By.CSS_SELECTOR, "#prompt details.earlier summary").click()
    assert "question 1" in browser.find_element(By.ID, "prompt").text
    jump = [b.text for b in browser.find_elements(By.CSS_SELECTOR, "nav.jump button")]
    assert jump == ["Prompt", "Response", "Raw record"]

    search = browser.find_element(By.ID, "filter")
    search.send_keys("error")
    assert _visible(browser) == ["step-7"]  # the failed anthropic call (its status badge says error)
    search.clear()
    search.send_keys("openai.chat")
    assert _visible(browser) == ["step-3", "step-5"]
    _click(browser, "step-5")
    browser.find_element(By.CSS_SELECTOR, 'button.step[data-step="step-5"]').send_keys(Keys.ARROW_UP)
    WebDriverWait(browser, 10).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "#detail h2").text.startswith("step-3 ")
    )


def _visible(browser) -> list[str]:
    return [
        b.get_attribute("data-step")
        for b in browser.find_elements(By.CSS_SELECTOR, "#tree button.step")
        if b.is_displayed()
    ]


def test_a_forked_trace_shows_where_it_came_from_and_step_origins(browser, tmp_path: Path) -> None:
    records = travel_records()[:4]
    records[0] = {
        **records[0],
        "fork_of": {"trace_id": "run-7f3a", "source": "travel.jsonl", "step": "step-2", "patch": []},
    }
    records[2] = {**records[2], "origin": "patched"}
    records[3] = {**records[3], "origin": "cached"}
    buttons = _open(browser, _export_html(write_records(tmp_path / "fork.jsonl", records)))
    assert browser.find_element(By.ID, "fork").text == "fork of travel.jsonl at step-2"
    origins = [[badge.text for badge in b.find_elements(By.CSS_SELECTOR, ".origin")] for b in buttons]
    assert origins == [[], ["patched"], ["cached"]]


def test_findings_are_listed_and_lead_to_their_step(browser) -> None:
    page = _export_html_to(Path("sample_traces/03_tool_loop.jsonl"), Path(browser.capabilities.get("tmp", "/tmp")))
    _open(browser, page)
    panel = browser.find_element(By.ID, "findings")
    assert panel.get_attribute("hidden") is None
    browser.find_element(By.ID, "findings-title").click()
    items = browser.find_elements(By.CSS_SELECTOR, "#findings-list li")
    assert items and any("loop" in item.text for item in items)
    link = browser.find_element(By.CSS_SELECTOR, "#findings-list button.link")
    target = link.text
    link.click()
    WebDriverWait(browser, 10).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "#detail h2").text.startswith(target + " ")
    )
    assert browser.find_element(By.ID, "step-findings").text


def _export_html_to(trace_file: Path, folder: Path) -> Path:
    out = folder / (trace_file.stem + "-scale.html")
    result = subprocess.run(
        [sys.executable, "-m", "agentdbg", "export", str(trace_file), "--format", "html", "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return out


def test_a_long_trace_draws_a_window_of_rows_and_reads_payloads_on_demand(browser, tmp_path: Path) -> None:
    history: list[dict] = [{"role": "system", "content": "Answer briefly. " * 10}]
    records: list[dict] = [{**HEADER, "name": "long-run"}]
    for n in range(1, 4001):
        if n % 100 == 1:  # a new conversation every 100 steps, as a long agent run starts over
            history = history[:1]
        history = [*history, {"role": "user", "content": f"question number {n} " + "about the weather " * 8}]
        records.append(
            {
                "type": "span",
                "id": f"s{n}",
                "kind": "llm",
                "name": f"call {n}",
                "started_at": T0 + n,
                "ended_at": T0 + n + 0.5,
                "input": {"provider": "openai", "api": "chat.completions",
                          "request": {"model": "gpt-4o", "messages": history}},
                "output": {"choices": [{"finish_reason": "stop",
                                        "message": {"role": "assistant", "content": f"answer {n}"}}]},
            }
        )
    page = _export_html(write_records(tmp_path / "long.jsonl", records))
    source = tmp_path / "long.jsonl"
    assert page.stat().st_size < 2 * source.stat().st_size  # the history each step repeats is written once
    buttons = _open(browser, page)
    assert 0 < len(buttons) <= 1500  # a window of rows, not 4,000
    browser.execute_script(
        "var t = document.getElementById('tree'); t.scrollTop = t.scrollHeight; t.dispatchEvent(new Event('scroll'));"
    )
    WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, 'button.step[data-step="step-4000"]'))
    _click(browser, "step-4000")
    prompt = browser.find_element(By.ID, "prompt").text
    assert "question number 4000" in prompt and "Answer briefly." in prompt
    assert "answer 4000" in browser.find_element(By.ID, "response").text
    assert len(browser.find_elements(By.CSS_SELECTOR, "#tree button.step")) <= 1500
