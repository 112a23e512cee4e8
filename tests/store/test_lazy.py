"""``read_indexed``: the lazy ``Trace`` over the offset index reads like ``read_trace`` and streams its passes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from agentdbg.cli.output import stdout_console
from agentdbg.importers import open_trace
from agentdbg.model.records import TraceHeader
from agentdbg.model.trace import LazySpans
from agentdbg.render import render_tree
from agentdbg.store import TraceWriter, read_indexed, read_trace
from tests.foundation.helpers import healthy_records, llm_span, write_lines

BROKEN: list[Any] = [
    "{not json",
    {"type": "span_start", "id": "orphan", "parent_id": "nowhere", "kind": "tool"},
    {"type": "span_end", "id": "ghost"},
    {
        "type": "span_end",
        "id": "root",
        "ended_at": 1.0,
        "error": {"type": "Boom", "message": "line one\nline two"},
    },
    {"type": "span_start", "id": "odd", "step": 99, "origin": "patched"},
    '{"type": "span_start", "id": "cut", "na',
]


def _problems(trace: Any) -> list[tuple[int, str, str | None, str]]:
    return sorted((p.line, p.message, p.field, p.severity) for p in trace.problems)


def _files(tmp_path: Path) -> list[Path]:
    records = healthy_records()
    return [
        write_lines(tmp_path / "ok.jsonl", records),
        write_lines(tmp_path / "broken.jsonl", [*records, *BROKEN], trailing_newline=False),
    ]


def test_lazy_trace_has_the_readers_spans_tree_and_problems(tmp_path: Path) -> None:
    for path in _files(tmp_path):
        eager, lazy = read_trace(path), read_indexed(path)
        assert isinstance(lazy.spans, LazySpans) and lazy.is_lazy
        assert _problems(lazy) == _problems(eager)
        assert len(lazy.spans) == len(eager.spans)
        assert [s.model_dump() for s in lazy.spans] == [s.model_dump() for s in eager.spans]
        assert [(s.id, d) for s, d in lazy.walk()] == [(s.id, d) for s, d in eager.walk()]
        assert list(lazy.rows()) == list(eager.rows())  # one summary type from both paths
        assert [s.id for s in lazy.roots] == [s.id for s in eager.roots]
        assert [s.id for s in lazy.llm_spans] == [s.id for s in eager.llm_spans]
        for span in eager.spans:
            assert lazy.step(span.address).model_dump() == span.model_dump()
            assert lazy.by_id[span.id].id == span.id and span.id in lazy.by_id
        assert lazy.spans[-1].id == eager.spans[-1].id


def test_a_pass_streams_and_random_access_is_bounded(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    with TraceWriter(path) as writer:
        writer.write_header(TraceHeader(trace_id="t-long", name="long"))
        history: list[dict[str, Any]] = [{"role": "system", "content": "be brief"}]
        for n in range(200):
            history = [*history, {"role": "user", "content": f"question {n} " + "x" * 200}]
            writer.write(
                {
                    **llm_span(f"s{n}", None, {"model": "m", "messages": history}, {"choices": []}),
                    "type": "span",
                }
            )
    trace = read_indexed(path)
    index: Any = trace.spans.store  # type: ignore[attr-defined]
    assert sum(1 for _ in trace.spans) == 200
    assert len(index._cache) == 0  # a pass keeps no span
    for n in range(200):
        assert len(trace.spans[n].input["request"]["messages"]) == n + 2
    assert len(index._cache) <= 32
    assert trace.spans[150].model_dump() == read_trace(path).spans[150].model_dump()


def test_open_trace_lazy_only_for_our_format(tmp_path: Path) -> None:
    path = _files(tmp_path)[0]
    assert open_trace(path, lazy=True).is_lazy and not open_trace(path).is_lazy


def _agentdbg(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentdbg", *args], capture_output=True, text=True, timeout=60
    )


def test_show_print_and_validate_read_through_the_index_and_say_the_same(tmp_path: Path) -> None:
    for path in _files(tmp_path):
        eager = read_trace(path)
        console = stdout_console()
        with console.capture() as captured:
            console.print(render_tree(eager))
        shown = _agentdbg("show", str(path), "--print")
        assert shown.returncode == 0, shown.stderr
        assert shown.stdout == captured.get()
        step = _agentdbg("show", str(path), "--step", "2", "--print")
        assert step.returncode == 0 and "step-2" in step.stdout
        checked = _agentdbg("validate", str(path))
        assert checked.stdout.splitlines() == [str(p) for p in sorted(eager.problems, key=lambda p: p.line)]
        assert checked.returncode == (1 if eager.problems else 0)
    assert "[patched]" in _agentdbg("show", str(tmp_path / "broken.jsonl"), "--print").stdout


def _shown(steps: dict[int, dict]) -> dict[int, dict]:
    """What the page shows of each step (a block's llm view also carries its compaction's head/items)."""
    keys = ("provider", "api", "model", "params", "answer", "prompt", "tools")
    return {
        step: {**data, "llm": {key: data["llm"][key] for key in keys}} if "llm" in data else data
        for step, data in steps.items()
    }


def test_exports_stream_the_same_text_from_the_index_as_from_memory(tmp_path: Path) -> None:
    from agentdbg.exporters import iter_trace, render_trace
    from agentdbg.exporters.genai import to_json
    from agentdbg.exporters.html_steps import page_steps
    from agentdbg.exporters.otlp_json import to_otlp_json

    for path in _files(tmp_path):
        eager, lazy = read_trace(path), read_indexed(path)
        for format in ("otlp-json", "html"):
            chunks = list(iter_trace(lazy, format))
            assert len(chunks) > 2  # written piece by piece
            if format == "html":  # from the index the page embeds the file's lines, its script builds the views:
                shown = _shown(page_steps("".join(chunks)))  # the same steps as the in-memory page's blocks
                assert shown == _shown(page_steps(render_trace(eager, format))) and len(shown) == len(eager.spans)
            else:
                assert "".join(chunks) == render_trace(eager, format)
        assert render_trace(eager, "otlp-json") == to_json(to_otlp_json(eager)) + "\n"
