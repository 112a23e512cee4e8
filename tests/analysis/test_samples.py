"""Each bundled sample trace shows its intended failure at the step where it starts; the healthy ones raise nothing.

The expected step is located from the trace's own structure (the first call of the looping tool, the llm
step that chose the wrong tool...), so a regenerated sample is still checked for the right step.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agentdbg import open_trace
from agentdbg.analysis import Finding, diagnose
from agentdbg.model.span import Span
from agentdbg.model.trace import Trace

SAMPLES = Path(__file__).resolve().parents[2] / "sample_traces"


def load(name: str) -> tuple[Trace, list[Finding]]:
    trace = open_trace(SAMPLES / f"{name}.jsonl")
    return trace, diagnose(trace)


def serious(findings: list[Finding]) -> list[Finding]:
    return [finding for finding in findings if finding.severity != "info"]


def first_tool(trace: Trace, name: str) -> Span:
    return next(span for span in trace.tool_spans if span.tool and span.tool.name == name)


def llm_calling(trace: Trace, name: str) -> Span:
    return next(
        span
        for span in trace.llm_spans
        if span.llm and any(call.name == name for call in span.llm.tool_calls)
    )


def at(findings: list[Finding], pattern: str) -> list[int]:
    return [finding.step for finding in findings if finding.pattern == pattern]


@pytest.mark.parametrize("name", ["01_healthy_openai", "02_anthropic_research"])
def test_healthy_samples_have_no_warning_or_error(name: str) -> None:
    _, findings = load(name)
    assert serious(findings) == []


def test_03_tool_loop_starts_at_the_first_search() -> None:
    trace, findings = load("03_tool_loop")
    assert at(findings, "loop") == [first_tool(trace, "search_kb").step]
    loop = next(f for f in findings if f.pattern == "loop")
    assert (
        loop.severity == "error" and loop.details["results_identical"] is True and loop.details["count"] >= 3
    )
    assert any(f.details.get("kind") == "max-steps" for f in findings if f.pattern == "error")


def test_04_wrong_tool_is_the_delete_call() -> None:
    trace, findings = load("04_wrong_tool")
    assert at(findings, "wrong-tool") == [llm_calling(trace, "delete_account").step]
    finding = next(f for f in findings if f.pattern == "wrong-tool")
    assert finding.details["suggested"] == "cancel_subscription"


def test_05_bad_arguments_are_named() -> None:
    trace, findings = load("05_bad_arguments")
    assert at(findings, "schema") == [llm_calling(trace, "run_sql").step]
    keywords = {p["keyword"] for f in findings if f.pattern == "schema" for p in f.details["problems"]}
    assert {"required", "additionalProperties", "type"} <= keywords


def test_06_history_loses_the_system_prompt() -> None:
    trace, findings = load("06_context_overflow")
    steps = at(findings, "truncation")
    assert len(steps) == 1
    truncated = trace.step(steps[0])
    assert truncated.llm is not None and all(m.role != "system" for m in truncated.llm.prompt)
    earlier = [s for s in trace.llm_spans if s.step < truncated.step]
    assert earlier and earlier[-1].llm is not None and any(m.role == "system" for m in earlier[-1].llm.prompt)
    assert next(f for f in findings if f.pattern == "truncation").details["system_prompt_dropped"] is True
    assert at(findings, "context")  # the pressure that made the agent trim its history


def test_07_irrelevant_retrieval_at_the_retrieval_step() -> None:
    trace, findings = load("07_irrelevant_retrieval")
    retrieval = next(span for span in trace.spans if span.kind == "retrieval")
    assert at(findings, "retrieval") == [retrieval.step]
    assert next(f for f in findings if f.pattern == "retrieval").details["relevance"] < 0.2


def test_08_crashed_run_points_at_the_unfinished_tool() -> None:
    trace, findings = load("08_crashed_run")
    unfinished = [span.step for span in trace.spans if span.status == "incomplete" and not span.children]
    incomplete = [f.step for f in findings if f.pattern == "error" and f.details.get("kind") == "incomplete"]
    assert incomplete == unfinished and incomplete
    assert any(f.details.get("kind") == "no-final-answer" for f in findings)


def test_09_nested_subagents_fail_at_publish() -> None:
    trace, findings = load("09_nested_subagents")
    assert [f.step for f in serious(findings)] == [first_tool(trace, "publish_post").step]
    assert (
        at(findings, "loop") == [] and at(findings, "retrieval") == []
    )  # parallel researchers are not a loop
