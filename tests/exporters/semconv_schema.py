"""The shape the OpenTelemetry GenAI conventions give structured message attributes, as JSON Schemas.

Written from the conventions' published message schemas (gen-ai-input-messages.json,
gen-ai-output-messages.json, gen-ai-system-instructions.json, gen-ai-tool-definitions.json):
messages are ``{role, parts}``; output messages add a ``finish_reason``; each part says its
``type`` and carries that type's required fields.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema

from tests.exporters.otlp_helpers import attributes, spans

_NULLABLE_STRING = {"type": ["string", "null"]}


def _part(kind: str, required: list[str], **properties: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"type": {"const": kind}, **properties},
        "required": ["type", *required],
    }


PART: dict[str, Any] = {
    "anyOf": [
        _part("text", ["content"], content={"type": "string"}),
        _part("reasoning", ["content"], content={"type": "string"}),
        _part("tool_call", ["name"], id=_NULLABLE_STRING, name={"type": "string"}),
        _part("tool_call_response", ["response"], id=_NULLABLE_STRING),
        _part("file_data", ["modality"], modality={"type": "string"}, mime_type=_NULLABLE_STRING),
        _part("blob", ["modality", "content"], modality={"type": "string"}, content={"type": "string"}),
    ]
}

INPUT_MESSAGES = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {"role": {"type": "string"}, "parts": {"type": "array", "items": PART}},
        "required": ["role", "parts"],
    },
}

OUTPUT_MESSAGES = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "role": {"type": "string"},
            "parts": {"type": "array", "items": PART},
            "finish_reason": {"type": "string"},
        },
        "required": ["role", "parts", "finish_reason"],
    },
}

SYSTEM_INSTRUCTIONS = {"type": "array", "items": PART}

TOOL_DEFINITIONS = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "type": {"type": "string"},
            "name": {"type": "string"},
            "description": {"type": "string"},
        },
        "required": ["type", "name", "description"],
    },
}

BY_ATTRIBUTE = {
    "gen_ai.input.messages": INPUT_MESSAGES,
    "gen_ai.output.messages": OUTPUT_MESSAGES,
    "gen_ai.system_instructions": SYSTEM_INSTRUCTIONS,
    "gen_ai.tool.definitions": TOOL_DEFINITIONS,
}


def assert_follows_semconv(document: dict, name: str = "") -> int:
    """Message attributes match the semconv shapes, scalars their types; returns how many structured values were checked."""
    operations = {"chat": 3, "execute_tool": 1, "invoke_agent": 1, "retrieval": 3}
    item_validators = {
        key: jsonschema.Draft202012Validator(schema["items"]) for key, schema in BY_ATTRIBUTE.items()
    }
    validated: set[tuple[str, str]] = (
        set()
    )  # histories repeat from call to call: check each distinct item once
    checked = 0
    for span in spans(document):
        attrs = attributes(span)
        for key, validator in item_validators.items():
            if key in attrs:
                assert isinstance(attrs[key], list), (name, key)
                for item in attrs[key]:
                    marker = (key, json.dumps(item, sort_keys=True))
                    if marker not in validated:
                        validator.validate(item)
                        validated.add(marker)
                checked += 1
        operation = attrs.get("gen_ai.operation.name")
        if operation is not None:
            assert span["kind"] == operations[operation], (name, span["name"])
        if operation == "chat":
            assert span["name"].startswith("chat") and "gen_ai.input.messages" in attrs, name
        for key in ("gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "gen_ai.request.max_tokens"):
            assert key not in attrs or isinstance(attrs[key], int), (name, key)
        for key in ("gen_ai.response.finish_reasons", "gen_ai.request.stop_sequences"):
            assert key not in attrs or all(isinstance(v, str) for v in attrs[key]), (name, key)
        if span["status"].get("code") == 2:
            assert attrs["error.type"] and span["events"][0]["name"] == "exception", name
    return checked
