"""The exports' one pass (``exporters/llm_chain.py``: light index steps, requests carried along their
``request_ref`` chains) against the exact path (``read_trace``: whole spans, ``Span.llm``), on varied
written runs: bench-generated ones, openai and anthropic conversations that trim their history or change
their system prompt, a damaged line, a reference to a missing base, combined ``span`` lines; and the same
with almost nothing kept, so every base is read whole by the index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentdbg.exporters import llm_chain, render_trace
from agentdbg.exporters.html import decode_step
from agentdbg.exporters.llm_chain import export_steps
from agentdbg.store import read_indexed
from agentdbg.store.reader import read_trace
from tests.analysis.test_diagnose_light import _traces
from tests.exporters.test_html_content import _STEP_BLOCKS, _same_as_show, _shown


@pytest.fixture(scope="module")
def traces(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return _traces(tmp_path_factory.mktemp("runs"))


@pytest.fixture(params=[llm_chain.KEPT, 1], ids=["kept", "nothing-kept"])
def kept(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(llm_chain, "KEPT", request.param)
    return int(request.param)


def test_every_step_of_the_pass_equals_the_exact_one(traces: list[Path], kept: int) -> None:
    for path in traces:
        exact = read_trace(path).spans
        steps = list(export_steps(read_indexed(path)))
        assert len(steps) == len(exact), path
        for (step, llm), span in zip(steps, exact, strict=True):
            assert step.input == span.input, (path.name, span.step)
            assert (step.output, step.attributes, step.status) == (span.output, span.attributes, span.status)
            if span.kind == "llm":
                assert llm is not None and llm.view.model_dump() == span.llm.model_dump(), (path.name, span.step)


def test_otlp_of_the_pass_is_byte_identical_to_the_exact_path(traces: list[Path], kept: int) -> None:
    """The exact path over the same index: every step a whole ``Span`` (a damaged line reads differently
    through the index than through ``read_trace``, before and after this pass alike)."""
    for path in traces:
        lazy = read_indexed(path)
        whole = lazy.model_copy(update={"spans": list(lazy.spans)})  # in memory: each step the exact way
        assert render_trace(lazy, "otlp-json") == render_trace(whole, "otlp-json"), path


def test_the_page_of_the_pass_shows_what_show_shows(traces: list[Path], kept: int, tmp_path: Path) -> None:
    from agentdbg.exporters.html import page_chunks

    for path in traces:
        page = "".join(page_chunks(read_indexed(path), findings=[]))
        blocks = {int(n): json.loads(body) for n, body in _STEP_BLOCKS.findall(page)}
        for number, shown in enumerate(_shown(path), start=1):
            _same_as_show(shown, decode_step(blocks.__getitem__, number))
