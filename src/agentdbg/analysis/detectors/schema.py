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


_IS_TYPE = {
    "string": lambda value: type(value) is str,
    "object": lambda value: type(value) is dict,
    "array": lambda value: type(value) is list,
    "boolean": lambda value: type(value) is bool,
    "null": lambda value: value is None,
    "number": lambda value: type(value) is int or type(value) is float,
    "integer": lambda value: type(value) is int,  # 1.0 is an integer too: left to jsonschema
}
_ANNOTATIONS = frozenset(("description", "title", "default", "examples", "$comment", "deprecated"))


def surely_valid(value: Any, schema: Any) -> bool:
    """Whether ``value`` certainly satisfies ``schema`` (a schema ``check_schema`` passed) when the schema
    uses only ``type`` (one name), ``properties``, ``required``, ``additionalProperties``, ``items``,
    ``enum`` (of strings) and annotations; ``False`` means ask jsonschema (which names the problems).
    Most offered schemas are such, and most calls fit them: the validator's error walk is the slow part."""
    if type(schema) is not dict:
        return schema is True
    is_object = type(value) is dict
    for keyword, rule in schema.items():
        if keyword == "type":
            check = _IS_TYPE.get(rule) if type(rule) is str else None
            if check is None or not check(value):
                return False
        elif keyword == "properties":
            if type(rule) is not dict:
                return False
            if is_object and not all(key not in value or surely_valid(value[key], rule[key]) for key in rule):
                return False
        elif keyword == "required":
            if type(rule) is not list or (is_object and not all(key in value for key in rule)):
                return False
        elif keyword == "additionalProperties":
            if "patternProperties" in schema:
                return False
            if is_object and rule is not True:
                known = schema.get("properties") or {}
                extra = [key for key in value if key not in known]
                if extra and (rule is False or not all(surely_valid(value[key], rule) for key in extra)):
                    return False
        elif keyword == "items":
            if type(value) is list and not all(surely_valid(item, rule) for item in value):
                return False
        elif keyword == "enum":
            if type(rule) is not list or not any(type(item) is str and item == value for item in rule):
                return False  # jsonschema's enum tells true from 1: strings only
        elif keyword not in _ANNOTATIONS:
            return False
    return True


def _problems(arguments: Any, schema: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(keyword, path, message) for each way ``arguments`` breaks ``schema``."""
    validator = _validator_of(schema)
    if isinstance(validator, str):
        return [("schema", "", validator)]
    if surely_valid(arguments, schema):
        return []
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
