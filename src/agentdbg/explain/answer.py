"""The structured answer the model must give, and its validation: shape (pydantic), then replayability.

A ``ModelAnswer`` names the step where the failure starts, the root cause, the
failure pattern and one to three ``CandidateFix``es, each an RFC 6902 JSON Patch
against the replay document of one step. An answer validates only when every
patch applies and the replay engine accepts the patched request (a dry run that
sends nothing).
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from agentdbg.errors import AgentdbgError
from agentdbg.model.trace import Trace

FixKind = Literal["system-prompt", "tool-description", "tool-result", "parameter", "other"]
FIX_KINDS: dict[str, str] = {
    "system-prompt": "rewrite the system prompt (/system of an llm step)",
    "tool-description": "rewrite a tool's description (the description_path of a tool schema, in an llm step)",
    "tool-result": "correct what a tool returned (/result of a tool step)",
    "parameter": "change a request parameter (/params/..., or /model) of an llm step",
    "other": "any other edit of a step's document (e.g. a message in /messages)",
}
_STEP_RE = re.compile(r"^\s*(?:step-?)?(\d+)\s*$", re.IGNORECASE)


def _step_address(value: Any) -> Any:
    """``3``, ``"3"``, ``"step3"`` → ``"step-3"`` (other values are left for the type check)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"step-{value}"
    if isinstance(value, str):
        match = _STEP_RE.match(value)
        if match:
            return f"step-{int(match.group(1))}"
    return value


class PatchOp(BaseModel):
    """One RFC 6902 operation; ``value`` must be present for add/replace/test, ``from`` for move/copy."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    op: Literal["add", "remove", "replace", "move", "copy", "test"]
    path: str = Field(pattern=r"^(/.*)?$", description="JSON Pointer into the step's document, e.g. /system")
    value: Any = None
    from_: str | None = Field(default=None, alias="from")

    @model_validator(mode="after")
    def _operands(self) -> PatchOp:
        if self.op in ("add", "replace", "test") and "value" not in self.model_fields_set:
            raise ValueError(f"a {self.op!r} op needs a 'value'")
        if self.op in ("move", "copy") and not self.from_:
            raise ValueError(f"a {self.op!r} op needs a 'from' pointer")
        return self

    def to_json(self) -> dict[str, Any]:
        """The op as RFC 6902 JSON."""
        data: dict[str, Any] = {"op": self.op, "path": self.path}
        if self.op in ("add", "replace", "test"):
            data["value"] = self.value
        if self.from_ is not None:
            data["from"] = self.from_
        return data


class CandidateFix(BaseModel):
    """One suggested fix: what kind, which step's document it patches, the patch, and why it should work."""

    kind: FixKind
    step: str = Field(description="step-N whose replay document the patch edits")
    title: str = Field(min_length=1, description="the fix in a few words")
    patch: list[PatchOp] = Field(min_length=1, description="RFC 6902 JSON Patch against that step's document")
    rationale: str = Field(min_length=1, description="why this should cure the failure")

    _normalise_step = field_validator("step", mode="before")(_step_address)

    @property
    def patch_json(self) -> list[dict[str, Any]]:
        """The patch as a JSON list (what ``agentdbg replay --patch`` reads)."""
        return [op.to_json() for op in self.patch]


class ModelAnswer(BaseModel):
    """The model's explanation of the failure."""

    failure_step: str = Field(description="step-N where the failure starts")
    root_cause: str = Field(min_length=1, description="the root cause in plain words")
    failure_pattern: str = Field(min_length=1, description="e.g. loop, schema, wrong-tool, context, error")
    fixes: list[CandidateFix] = Field(min_length=1, max_length=3)

    _normalise_step = field_validator("failure_step", mode="before")(_step_address)


def _inline_refs(schema: Any, definitions: dict[str, Any]) -> Any:
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline_refs(definitions[ref.removeprefix("#/$defs/")], definitions)
        return {key: _inline_refs(value, definitions) for key, value in schema.items() if key != "$defs"}
    if isinstance(schema, list):
        return [_inline_refs(item, definitions) for item in schema]
    return schema


def answer_schema() -> dict[str, Any]:
    """The JSON Schema of ``ModelAnswer`` with every ``$ref`` inlined (some tool-schema dialects reject refs)."""
    schema = ModelAnswer.model_json_schema(by_alias=True)
    return dict(_inline_refs(schema, schema.get("$defs", {})))


def extract_json(text: str) -> Any:
    """The first JSON object in ``text`` (bare, or inside a Markdown code fence, or after prose).

    Raises:
        ValueError: when the text holds no JSON object.
    """
    stripped = text.strip()
    try:
        return json.loads(stripped)
    except ValueError:
        pass
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", stripped):
        try:
            value, _ = decoder.raw_decode(stripped, match.start())
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    raise ValueError("the answer holds no JSON object")


def _pydantic_errors(exc: ValidationError) -> list[str]:
    lines = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(part) for part in error["loc"]) or "(answer)"
        lines.append(f"{where}: {error['msg']}")
    return lines


def replayable(trace: Trace) -> bool:
    """Whether any llm step holds its full request (imported traces often do not), so fixes can be replayed."""
    return any(span.llm is not None and span.llm.replayable for span in trace.llm_spans)


def check_answer(answer: ModelAnswer, trace: Trace) -> list[str]:
    """Why the answer cannot be used on ``trace`` (unknown steps, patches that do not apply); empty when fine.

    In a trace without a replayable step the patches cannot be tried, so only the steps are checked.
    """
    from agentdbg.replay import replay

    problems = []
    try:
        trace.step(answer.failure_step)
    except AgentdbgError:
        problems.append(
            f"failure_step: {answer.failure_step} is not a step of this trace (1 … {len(trace.spans)})"
        )
    for number, fix in enumerate(answer.fixes):
        where = f"fixes.{number} ({fix.step})"
        if not replayable(trace):
            try:
                trace.step(fix.step)
            except AgentdbgError:
                problems.append(f"{where}: not a step of this trace")
            continue
        try:
            replay(trace, fix.step, patch=fix.patch_json, dry_run=True)
        except AgentdbgError as exc:
            problems.append(f"{where}: {exc.message}")
    return problems


def parse_answer(raw: Any, trace: Trace) -> tuple[ModelAnswer | None, list[str]]:
    """The validated answer from the model's output (a dict, or text holding JSON), or the reasons it fails."""
    if isinstance(raw, str):
        try:
            raw = extract_json(raw)
        except ValueError as exc:
            return None, [f"(answer): {exc}; reply with one JSON object"]
    try:
        answer = ModelAnswer.model_validate(raw)
    except ValidationError as exc:
        return None, _pydantic_errors(exc)
    problems = check_answer(answer, trace)
    return (None, problems) if problems else (answer, [])


__all__ = [
    "FIX_KINDS",
    "CandidateFix",
    "FixKind",
    "ModelAnswer",
    "PatchOp",
    "answer_schema",
    "check_answer",
    "extract_json",
    "parse_answer",
    "replayable",
]
