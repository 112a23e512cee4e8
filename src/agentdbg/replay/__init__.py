"""Fork a recorded run at any step with an edited input and re-run it against the model.

The Python API (used by the CLI, the TUI and ``verify``/``explain``)::

    from agentdbg.replay import replay, replay_repeat, step_document, select_step

    result = replay("run.jsonl", "step-3", patch=[{"op": "replace", "path": "/system", "value": "..."}])
    result.status        # "finished" | "needs-tool-result" | "max-steps" | "errored" | "dry-run"
    result.fork_path     # the fork trace (header ``fork_of``, per-span ``origin``)
    result.divergence_step, result.old_answer, result.new_answer, result.steps, result.input_tokens

- ``replay(trace, start, *, patch, sets, output, force, dry_run, on_step, options: ReplayOptions)
  -> ReplayResult`` (the one entry point; ``options`` fields may also be given as keywords) runs one fork, blocking (run it in a worker thread from a
  UI); ``on_step(span)`` is called in that thread with each new step as it ends (post a message from it).
  It raises ``AgentdbgError`` subclasses for bad input, a missing key (before anything is sent) or an
  existing output; model/API failures do not raise: they end the fork with ``status == "errored"``.
- ``replay_repeat(trace, start, count, **same) -> RepeatResult``: outcome counts, distinct answers, split step.
- ``step_document(trace, span)``: the editable document (``{model, params, system, messages, tools}`` for an
  llm step, ``{name, arguments, result}`` for a tool step); ``apply_patch(document, patch)`` edits it;
  ``select_step(trace, selector)`` resolves ``--from``; ``make_patch(old, new)`` turns an edited document
  (TUI editor, ``$EDITOR``) into a JSON Patch.
"""

from __future__ import annotations

from typing import Any

import jsonpatch

from agentdbg.replay.document import document_request, request_document, step_document
from agentdbg.replay.engine import load_source, replay
from agentdbg.replay.errors import OutputExistsError, ReplayInputError, ToolsSpecError
from agentdbg.replay.options import ReplayOptions
from agentdbg.replay.patches import TEMPLATE_PLACEHOLDER, apply_any, apply_patch, load_patch, parse_set
from agentdbg.replay.patches import combine as combine_patch
from agentdbg.replay.repeat import replay_repeat
from agentdbg.replay.result import NeededTool, RepeatResult, ReplayResult, StepSummary
from agentdbg.replay.selectors import SELECTOR_HELP, select_step


def make_patch(old: Any, new: Any) -> list[dict[str, Any]]:
    """The RFC 6902 JSON Patch turning document ``old`` into ``new`` (for edits made in an editor)."""
    return list(jsonpatch.make_patch(old, new))


__all__ = [
    "SELECTOR_HELP",
    "TEMPLATE_PLACEHOLDER",
    "NeededTool",
    "OutputExistsError",
    "RepeatResult",
    "ReplayInputError",
    "ReplayOptions",
    "ReplayResult",
    "StepSummary",
    "ToolsSpecError",
    "apply_any",
    "apply_patch",
    "combine_patch",
    "document_request",
    "load_patch",
    "load_source",
    "make_patch",
    "parse_set",
    "replay",
    "replay_repeat",
    "request_document",
    "select_step",
    "step_document",
]
