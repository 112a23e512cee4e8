"""Tool-call arguments checked against the JSON Schema the request offered (with ``jsonschema``)."""

from __future__ import annotations

import copy
import functools
import json
from typing import Any

from jsonschema import exceptions as schema_exceptions
from jsonschema import validators
from referencing.exceptions import Unresolvable

from agentdbg.analysis.facts import Step, StepFindings
from agentdbg.analysis.findings import Finding
from agentdbg.analysis.lexical import snippet
from agentdbg.analysis.llm_facts import LlmFacts
from agentdbg.model.messages import ToolCallRef

_FIXES = {
    "required": "The model left out a required argument: say in the tool description when and how to fill it.",
    "type": "The model sent the wrong type: describe the expected format in the parameter description, or coerce it in the tool.",
    "additionalProperties": "The model invented an argument: name the real parameters clearly, or allow extra ones.",
    "enum": "The model used a value outside the enum: list the allowed values in the description.",
    "json": "The arguments are not valid JSON (often cut off by max_tokens): raise max_tokens or use strict/structured tool calling.",
}


def _strict_names(request: dict[str, Any]) -> set[str]:
    """Tools declared ``strict`` (OpenAI structured outputs): their schemas are closed."""
    names: set[str] = set()
    for tool in request.get("tools") or []:
        if not isinstance(tool, dict):
            continue
        function: dict[str, Any] = tool["function"] if isinstance(tool.get("function"), dict) else tool
        if function.get("strict") is True and function.get("name"):
            names.add(str(function["name"]))
    return names


def _closed(schema: dict[str, Any]) -> dict[str, Any]:
    closed = copy.deepcopy(schema)
    if closed.get("type") == "object" and "additionalProperties" not in closed:
        closed["additionalProperties"] = False
    return closed


@functools.lru_cache(maxsize=256)
def _validator(schema_text: str) -> Any:
    """A validator for a schema (as canonical JSON text), or the reason the schema itself is invalid.

    Checking a schema is the slow part of validation; agents offer the same few schemas on every step.
    """
    schema = json.loads(schema_text)
    validator_class = validators.validator_for(schema)
    try:
        validator_class.check_schema(schema)
    except schema_exceptions.SchemaError as exc:
        return f"the offered schema itself is invalid: {exc.message}"
    return validator_class(schema)


_BY_OBJECT: dict[int, tuple[dict[str, Any], Any]] = {}  # id(schema) -> (schema, its validator)


def _validator_of(schema: dict[str, Any]) -> Any:
    """``_validator`` of ``schema``, looked up by the object first: the offered tools a chain of requests
    passes on are the same objects every step (analysis/llm_facts.py), so their text is made once."""
    hit = _BY_OBJECT.get(id(schema))
    if hit is not None and hit[0] is schema:
        return hit[1]
    validator = _validator(json.dumps(schema, sort_keys=True, default=str))
    if len(_BY_OBJECT) >= 256:
        _BY_OBJECT.clear()
    _BY_OBJECT[id(schema)] = (schema, validator)  # the schema is held, so its id is not reused meanwhile
    return validator


def _problems(arguments: Any, schema: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(keyword, path, message) for each way ``arguments`` breaks ``schema``."""
    validator = _validator_of(schema)
    if isinstance(validator, str):
        return [("schema", "", validator)]
    out = []
    try:
        errors = sorted(
            validator.iter_errors(arguments), key=lambda e: [str(part) for part in e.absolute_path]
        )
    except (Unresolvable, RecursionError) as exc:  # a $ref that points nowhere (never fetched: no network)
        return [("schema", "", f"the offered schema cannot be applied: {exc}")]
    for error in errors:
        path = "/".join(str(part) for part in error.absolute_path)
        out.append((str(error.validator), path, error.message))
    return out


def _undeclared(arguments: Any, schema: dict[str, Any]) -> list[str]:
    properties = schema.get("properties")
    if not isinstance(arguments, dict) or not isinstance(properties, dict):
        return []
    return [key for key in arguments if key not in properties]


def _finding(
    span_step: int,
    span_id: str,
    call: ToolCallRef,
    severity: str,
    title: str,
    evidence: str,
    fix: str,
    details: dict[str, Any],
) -> Finding:
    return Finding(
        severity=severity,  # type: ignore[arg-type]
        pattern="schema",
        step=span_step,
        span_id=span_id,
        title=title,
        evidence=evidence,
        fix=fix,
        details={"tool": call.name, "call_id": call.id, **details},
    )


class Detector(StepFindings):
    """Each llm step's tool calls against the schemas its own request offered (no state across steps)."""

    def step(self, span: Step, view: LlmFacts | None) -> None:
        if view is None:
            return
        findings = self.findings
        specs = {spec.name: spec for spec in view.tools}
        strict = _strict_names(view.request)
        for call in view.tool_calls:
            if not call.arguments_valid_json:
                findings.append(
                    _finding(
                        span.step,
                        span.id,
                        call,
                        "error",
                        f"arguments of {call.name} are not valid JSON",
                        f"the model sent {snippet(call.arguments_raw or '', 120)!r} as arguments of {call.name}",
                        _FIXES["json"],
                        {"problems": [{"keyword": "json", "path": "", "message": "not valid JSON"}]},
                    )
                )
                continue
            spec = specs.get(call.name)
            if spec is None or not isinstance(spec.parameters, dict):
                continue
            schema = _closed(spec.parameters) if call.name in strict else spec.parameters
            problems = _problems(call.arguments, schema)
            if problems:
                keywords = [keyword for keyword, _, _ in problems]
                evidence = "; ".join(
                    f"{path + ': ' if path else ''}{message}" for _, path, message in problems[:4]
                )
                findings.append(
                    _finding(
                        span.step,
                        span.id,
                        call,
                        "error" if keywords != ["schema"] else "warning",
                        f"{call.name} arguments break its schema ({', '.join(dict.fromkeys(keywords))})",
                        f"arguments {snippet(str(call.arguments_raw or call.arguments), 100)}: {evidence}",
                        _FIXES.get(
                            keywords[0],
                            "Compare the arguments with the tool's schema and make the description clearer.",
                        ),
                        {"problems": [{"keyword": k, "path": p, "message": m} for k, p, m in problems]},
                    )
                )
                continue
            extra = _undeclared(call.arguments, schema)
            if extra:
                findings.append(
                    _finding(
                        span.step,
                        span.id,
                        call,
                        "info",
                        f"{call.name} got undeclared arguments",
                        f"{', '.join(repr(key) for key in extra)} not in the schema of {call.name} (its schema allows extra properties, so the tool may silently ignore them)",
                        _FIXES["additionalProperties"],
                        {"undeclared": extra},
                    )
                )
