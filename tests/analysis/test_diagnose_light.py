"""diagnose's light pass (store/index_pass.py ``PassStep``, analysis/llm_facts.py ``ChainFacts``) against
its exact path (whole ``Span`` objects and views), step by step, on varied real trace files: the samples,
bench-generated runs, openai and anthropic runs that trim their history or change their system prompt,
and files with a damaged line or a reference to a missing base."""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from agentdbg.analysis.detectors import DETECTORS
from agentdbg.analysis.facts import Finding, PassFacts, RunContext, Step, pass_steps, run_pass
from agentdbg.analysis.findings import DiagnoseOptions
from agentdbg.analysis.llm_facts import LlmFacts
from agentdbg.model.view_memo import ViewMemo
from agentdbg.store import read_indexed
from agentdbg.store.index_pass import PassStep

from .builders import SEARCH_DOCS, WEATHER, Run

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from gen import write_run  # noqa: E402

SAMPLES = Path(__file__).resolve().parents[2] / "sample_traces"
SPAN_FIELDS = (
    "id",
    "parent_id",
    "kind",
    "name",
    "step",
    "started_at",
    "ended_at",
    "output",
    "error",
    "usage",
    "attributes",
    "origin",
    "ended",
    "line",
    "end_line",
    "children",
    "status",
)
FACT_FIELDS = (
    "api",
    "provider",
    "model",
    "request",
    "has_request",
    "response",
    "answer_text",
    "tool_calls",
    "tools",
    "replayable",
    "prompt_facts",
)


def _conversation(provider: str, steps: int, *, trim_at: int = 0, new_system_at: int = 0) -> Run:
    """A tool-calling conversation; ``trim_at``: the step where it drops its oldest turns (history
    trimming), ``new_system_at``: where its system prompt changes."""
    run = Run(provider=provider, tools=[SEARCH_DOCS, WEATHER], name=f"{provider} conversation")
    if provider == "anthropic":
        run.model = "claude-3-5-sonnet-20241022"
    run.user("What is the refund policy for orders shipped to Paris from Berlin?")
    for number in range(steps):
        if number == trim_at and trim_at:
            keep = 1 if provider == "openai" else 0  # the system message of a chat request stays
            del run.messages[keep : keep + 4]
        if number == new_system_at and new_system_at:
            run.system = "You are a terse assistant."
            if provider == "openai":
                run.messages[0] = {"role": "system", "content": run.system}
        if number % 5 == 4:
            run.user(f"And what about order {number}?")
        run.call_tool("search_docs", {"query": f"refund policy {number % 3}"}, f"Refunds take {number} days.")
    run.llm("Refunds take about two weeks.")
    return run


def _odd_items(steps: int) -> Run:
    """An openai conversation whose history holds items the light reading of neutral messages
    (``llm_facts.plain``) leaves to the model: content parts with an image (an attachment), a refusal,
    reasoning text, a tool result whose call id is a number (the model refuses it: the exact path), and
    tool calls whose arguments are not JSON."""
    run = Run(provider="openai", tools=[SEARCH_DOCS, WEATHER], name="odd items")
    run.user("What is the weather in Paris?")
    for number in range(steps):
        if number % 4 == 1:
            image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,aGVsbG8="}}
            run.messages.append({"role": "user", "content": [{"type": "text", "text": "and this?"}, image]})
        if number % 4 == 2:
            run.messages.append({"role": "assistant", "content": None, "refusal": "I can't say."})
            run.messages.append({"role": "user", "content": "Please try.", "reasoning_content": "hm"})
        if number == steps - 3:
            run.messages.append({"role": "tool", "tool_call_id": 7, "content": "late result"})
        arguments: Any = '{"city": "Par' if number % 5 == 3 else {"city": "Paris"}
        run.call_tool("get_weather", arguments, f"{number} degrees")
    run.llm("It is mild.")
    return run


def _damaged(source: Path, target: Path, request: int) -> Path:
    """``source`` with the line of its ``request``-th llm request cut in half: the reader reports it and
    skips the step, so the request that refers to it has no base."""
    lines = source.read_bytes().splitlines(keepends=True)
    line = [n for n, raw in enumerate(lines) if b'"kind":"llm"' in raw][request]
    lines[line] = lines[line][: len(lines[line]) // 2] + b"\n"
    target.write_bytes(b"".join(lines))
    return target


def _missing_base(source: Path, target: Path) -> Path:
    """``source`` with one compact request's base renamed to an id no step has."""
    out = []
    done = False
    for raw in source.read_bytes().splitlines(keepends=True):
        if not done and b'"request_ref"' in raw:
            record = orjson.loads(raw)
            if record["request_ref"]["keys"].get("messages", -1) > 0:
                record["request_ref"]["base"] = "nowhere"
                raw, done = orjson.dumps(record) + b"\n", True
        out.append(raw)
    target.write_bytes(b"".join(out))
    return target


def _combined(source: Path, target: Path) -> Path:
    """``source`` with every other step written as one ``span`` line holding both halves (as a replay
    fork writes its recorded steps), compact requests kept as they are."""
    records = [orjson.loads(raw) for raw in source.read_bytes().splitlines()]
    ends = {record["id"]: record for record in records if record.get("type") == "span_end"}
    out = []
    for number, record in enumerate(records):
        if record.get("type") == "span_start" and number % 2 and record["id"] in ends:
            end = ends.pop(record["id"])
            record = {**record, **{key: value for key, value in end.items() if key not in ("type", "id")}}
            record["attributes"] = {**record.get("attributes", {}), **end.get("attributes", {})}
            record["type"] = "span"
        elif record.get("type") == "span_end" and record["id"] not in ends:
            continue  # written with its start
        out.append(orjson.dumps(record) + b"\n")
    target.write_bytes(b"".join(out))
    return target


def _traces(directory: Path) -> list[Path]:
    generated = [
        write_run(directory / "gen_episodes.jsonl", 90, growth=300, episode=25),
        write_run(directory / "gen_one.jsonl", 70, growth=200),
        write_run(directory / "gen_no_tools.jsonl", 40, growth=200, episode=15, with_tools=False),
    ]
    runs = [
        _conversation("openai", 24).write(directory / "openai.jsonl"),
        _conversation("anthropic", 24).write(directory / "anthropic.jsonl"),
        _conversation("openai", 24, trim_at=12).write(directory / "openai_trim.jsonl"),
        _conversation("anthropic", 24, trim_at=12, new_system_at=18).write(
            directory / "anthropic_trim.jsonl"
        ),
        _conversation("openai", 24, new_system_at=9).write(directory / "openai_system.jsonl"),
        _odd_items(16).write(directory / "odd_items.jsonl"),
    ]
    broken = [
        _damaged(generated[0], directory / "damaged.jsonl", 10),
        _missing_base(runs[0], directory / "missing_base.jsonl"),
        _combined(runs[1], directory / "combined.jsonl"),
    ]
    return [*sorted(SAMPLES.glob("*.jsonl")), *generated, *runs, *broken]


def _context(path: Path) -> RunContext:
    trace = read_indexed(path)
    return RunContext(trace, DiagnoseOptions(), ViewMemo().view, {problem.line for problem in trace.problems})


def _value(step: Step, name: str) -> Any:
    value = getattr(step, name)
    return value.model_dump() if hasattr(value, "model_dump") else value


def _prompt(context: RunContext, step: int) -> list[Any]:
    view = context.reread(step)[1]
    assert view is not None
    return view.prompt


def _compare_step(
    context: RunContext, light: tuple[Step, LlmFacts | None], exact: tuple[Step, LlmFacts | None]
) -> None:
    (light_step, light_facts), (exact_step, exact_facts) = light, exact
    where = f"{context.trace.source} step-{exact_step.step}"
    for name in SPAN_FIELDS:
        assert _value(light_step, name) == _value(exact_step, name), (where, name)
    if not isinstance(light_step, PassStep) or light_step.request_ref is None:
        assert light_step.input == exact_step.input, where
    light_tool, exact_tool = light_step.tool, exact_step.tool
    assert (light_tool and light_tool.model_dump()) == (exact_tool and exact_tool.model_dump()), where
    assert (light_facts is None) == (exact_facts is None), where
    if light_facts is None or exact_facts is None:
        return
    for name in FACT_FIELDS:
        assert getattr(light_facts, name) == getattr(exact_facts, name), (where, name)
    if light_facts.extends is not None:  # the prompt starts with that step's whole prompt
        earlier = _prompt(context, light_facts.extends)
        assert exact_facts.prompt is not None and exact_facts.prompt[: len(earlier)] == earlier, where


class _Exact:
    """A consumer that reads whole prompts (no ``LIGHT``): the pass then takes the exact path everywhere."""

    def step(self, span: Step, view: LlmFacts | None) -> None:
        assert view is None or view.prompt is not None

    def finish(self, facts: PassFacts) -> list[Finding]:
        return []


def _findings(path: Path, light: bool) -> list[dict[str, Any]]:
    context = _context(path)
    detectors = [make(context) for make in DETECTORS.values()]
    facts = run_pass(context, detectors if light else [*detectors, _Exact()])
    findings = [finding for detector in detectors for finding in detector.finish(facts)]
    findings.sort(key=lambda finding: (finding.step, -finding.rank, finding.pattern))
    return [finding.to_json() for finding in findings]


@pytest.fixture(scope="module")
def traces(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return _traces(tmp_path_factory.mktemp("light"))


def test_every_step_of_the_light_pass_equals_the_exact_one(traces: list[Path]) -> None:
    carried = light_steps = 0
    for path in traces:
        context = _context(path)
        light = list(pass_steps(context, light=True))
        exact = list(pass_steps(_context(path), light=False))
        assert (
            [step.step for step, _ in light]
            == [step.step for step, _ in exact]
            == list(range(1, len(exact) + 1))
        )
        for pair, exact_pair in zip(light, exact, strict=True):
            _compare_step(context, pair, exact_pair)
            light_steps += isinstance(pair[0], PassStep)
            carried += pair[1] is not None and pair[1].prompt is None
    assert carried > 300 and light_steps > 700  # the light path was taken, not only the exact one


def test_findings_of_the_light_pass_equal_the_exact_ones(traces: list[Path]) -> None:
    patterns: set[str] = set()
    for path in traces:
        light = _findings(path, light=True)
        assert light == _findings(path, light=False), path.name
        patterns.update(finding["pattern"] for finding in light)
    assert {"loop", "truncation", "error", "retrieval"} <= patterns  # real findings were compared


def test_odd_chains_take_the_exact_path(traces: list[Path]) -> None:
    """Trimmed histories, a changed system prompt and a missing base: facts still equal (above), and the
    steps the chain cannot carry come from whole views."""
    by_name = {path.name: path for path in traces}
    for name in ("missing_base.jsonl", "damaged.jsonl"):
        context = _context(by_name[name])
        whole = [facts for _, facts in pass_steps(context) if facts is not None and facts.prompt is not None]
        assert len(whole) >= 2, name  # the first request, and the one the chain could not carry
    for name in ("openai_trim.jsonl", "anthropic_trim.jsonl"):  # a trimmed history is still found
        assert any(finding["pattern"] == "truncation" for finding in _findings(by_name[name], light=True))
    trace = read_indexed(by_name["missing_base.jsonl"])
    assert any("request_ref" in problem.message for problem in trace.problems) or any(
        step.attributes.get("replayable") is False for step in trace.spans
    )


def test_a_shared_request_object_is_not_changed_by_the_pass(tmp_path: Path) -> None:
    """Values passed along a chain are shared between steps' facts, so nothing in the pass may edit them."""
    path = _conversation("anthropic", 12).write(tmp_path / "run.jsonl")
    context = _context(path)
    kept = [copy.deepcopy(facts.request) for _, facts in pass_steps(context) if facts is not None]
    again = [facts.request for _, facts in pass_steps(_context(path)) if facts is not None]
    assert kept == again
