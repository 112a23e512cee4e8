"""What a finished built-in replay says: old vs new answer, where the fork diverged, the step list, and
for a run stopped at a tool with no result, the patch template and the command that resumes it."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from agentdbg.model.span import Span
from agentdbg.model.trace import Trace
from agentdbg.replay.divergence import first_divergence
from agentdbg.replay.patches import TEMPLATE_PLACEHOLDER
from agentdbg.replay.result import NeededTool, StepSummary, span_signature
from agentdbg.replay.run import ForkRun


def write_template(run: ForkRun, fork_path: Path) -> None:
    span, call = run.needed[0]
    stem = fork_path.name[: -len(".jsonl")] if fork_path.name.endswith(".jsonl") else fork_path.stem
    template = fork_path.with_name(f"{stem}.{span.address}.patch.json")
    ops = [
        {"op": "test", "path": "/name", "value": call.name},
        {"op": "replace", "path": "/result", "value": TEMPLATE_PLACEHOLDER},
    ]
    template.write_text(json.dumps(ops, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    run.result.needs = NeededTool(
        step=span.address,
        name=call.name,
        arguments=call.arguments,
        call_id=call.call_id,
        template=str(template),
        resume=shlex.join(
            ["agentdbg", "replay", str(fork_path), "--from", span.address, "--patch", str(template)]
        ),
    )


def span_signature_text(span: Span) -> str:
    """The final text of an llm step's answer."""
    view = span.llm
    return view.answer_text if view is not None else ""


def finish(run: ForkRun, trace: Trace, fork_step: int) -> None:
    """Old vs new final answer, divergence and the step list."""
    result = run.result
    parent = run.plan.parent_id
    # chosen by their summaries: a lazy trace reads these steps on demand, one at a time
    same_loop = trace.select(lambda s: s.kind == "llm" and s.parent_id == parent) or trace.llm_spans
    result.old_answer = span_signature_text(same_loop[-1]) if same_loop else None
    keep = ("llm", "tool")
    original = trace.select(  # the loop being replayed, not other agents'
        lambda s: s.kind in keep and s.parent_id == parent, start=fork_step - 1
    )
    forked = [s for s in run.writer.spans[fork_step - 1 :] if s.kind in keep]
    result.signatures = [span_signature(s) for s in forked]
    found = first_divergence(  # the one definition (replay/divergence.py); this loop builds its own requests
        original, forked, requests=False, edited_result=run.plan.patched_tool is not None
    )
    if found is not None:
        index, result.divergence = found
        result.divergence_step = (
            forked[index].address if index < len(forked) else f"step-{fork_step + len(forked)}"
        )
    result.steps.extend(StepSummary.of(span) for span in run.writer.spans[fork_step - 1 :])
