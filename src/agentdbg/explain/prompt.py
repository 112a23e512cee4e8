"""The instructions and messages that ask a model to explain a failed agent run."""

from __future__ import annotations

import json

from agentdbg.explain.answer import FIX_KINDS, answer_schema
from agentdbg.explain.evidence import Evidence

ANSWER_TOOL = "submit_explanation"

_INSTRUCTIONS = """\
You debug failed AI-agent runs. You get evidence from one recorded run as JSON: diagnose findings (from \
rule-based detectors), the step where the failure shows (target_step) and the steps before it, the tool \
schemas the agent offered, and the final outcome. Steps are addressed step-N.

Explain the failure and propose fixes a developer can replay:
- failure_step: the step where the failure STARTS (often earlier than where it shows).
- root_cause: the root cause in plain words (two to four sentences), citing the evidence.
- failure_pattern: a short label (loop, schema, unknown-tool, wrong-tool, context, truncation, retrieval, \
error, or your own).
- fixes: one to three candidate fixes, best first. Each is an RFC 6902 JSON Patch against the replay \
document of ONE step ("step"), with a short title and a rationale saying why it should work.

Replay documents (what a patch edits):
- an llm step: {"model", "params", "system", "messages", "tools"}. /system is the system prompt (a string, \
or null when there is none: use "add" then). /messages is the conversation in the API's own format \
(in the evidence, messages_start_index says where the listed messages start). /tools is the tool list in \
the API's format: use the description_path given with each tool schema. /params holds every other \
request parameter (temperature, max_tokens, tool_choice, ...).
- a tool step: {"name", "arguments", "result"}; /result is what the model saw.
Replaying a fix re-runs the agent from that step: every step before it is kept as recorded, the patched \
step is sent again, and the model continues from there. So a system prompt or tool description fix usually \
targets the first llm step that went wrong, and a tool-result fix targets the tool step.

Fix kinds: {kinds}.

Answer with ONE JSON object and nothing else, matching this JSON Schema:
{schema}"""


def instructions() -> str:
    """The system prompt: the task, the document shapes and the answer's JSON Schema."""
    kinds = "; ".join(f"{name} = {meaning}" for name, meaning in FIX_KINDS.items())
    schema = json.dumps(answer_schema(), ensure_ascii=False)
    return _INSTRUCTIONS.replace("{kinds}", kinds).replace("{schema}", schema)


def evidence_message(evidence: Evidence) -> str:
    """The user message: the evidence JSON, with a reminder of the answer format."""
    return (
        "Evidence of the failed run (JSON):\n"
        f"{evidence.prompt_json()}\n\n"
        "Reply with the JSON object only (failure_step, root_cause, failure_pattern, fixes)."
    )


def retry_message(errors: list[str]) -> str:
    """What the model is told when its answer did not validate."""
    listed = "\n".join(f"- {error}" for error in errors[:20])
    return (
        "Your answer did not validate:\n"
        f"{listed}\n"
        "Send the corrected answer as one JSON object matching the schema; every patch must apply to the "
        "replay document of its step."
    )


__all__ = ["ANSWER_TOOL", "evidence_message", "instructions", "retry_message"]
