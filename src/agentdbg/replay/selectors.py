"""``--from`` selectors: ``step-N``, ``N``, ``first-llm``, ``last-llm``, ``first-error``, ``tool:NAME``, ``tool:NAME#k``."""

from __future__ import annotations

from agentdbg.errors import StepNotFoundError
from agentdbg.model.span import Span
from agentdbg.model.trace import Trace

SELECTOR_HELP = "step-N, N, first-llm, last-llm, first-error, tool:NAME, tool:NAME#k"


def _fail(trace: Trace, selector: str, reason: str) -> StepNotFoundError:
    steps = f"step-1 … step-{len(trace.spans)}" if trace.spans else "none (the trace has no steps)"
    tools = sorted({span.tool.name for span in trace.tool_spans if span.tool})
    tool_names = ", ".join(f"tool:{name}" for name in tools) or "no tool steps"
    return StepNotFoundError(
        f"--from {selector!r}: {reason}; valid steps: {steps}; selectors: {SELECTOR_HELP}",
        hint=f"tools in this trace: {tool_names}",
    )


def select_step(trace: Trace, selector: str) -> Span:
    """The step ``selector`` names.

    Raises:
        StepNotFoundError: listing the valid range and choices.
    """
    text = selector.strip()
    lowered = text.lower()
    if lowered in ("first-llm", "last-llm"):
        llm = trace.llm_spans
        if not llm:
            raise _fail(trace, selector, "the trace has no llm steps")
        return llm[0] if lowered == "first-llm" else llm[-1]
    if lowered == "first-error":
        failed = [span for span in trace.spans if span.status == "error"]
        replayable = [span for span in failed if span.kind in ("llm", "tool")]
        if replayable or failed:
            return (replayable or failed)[
                0
            ]  # a failed llm/tool step first; an agent step's error explains less
        raise _fail(trace, selector, "no step failed")
    if lowered.startswith("tool:"):
        name, _, nth = text[5:].partition("#")
        try:
            index = int(nth) if nth else 1
        except ValueError:
            raise _fail(
                trace, selector, f"#{nth} is not a number (tool:NAME#k counts calls from 1)"
            ) from None
        calls = [span for span in trace.tool_spans if span.tool and span.tool.name == name]
        if not calls:
            raise _fail(trace, selector, f"no call of tool {name!r}")
        if not 1 <= index <= len(calls):
            raise _fail(
                trace, selector, f"tool {name!r} was called {len(calls)} time(s), so #k is 1 … {len(calls)}"
            )
        return calls[index - 1]
    try:
        return trace.step(text)
    except StepNotFoundError:
        raise _fail(trace, selector, "no such step") from None
