"""The shape the OpenTelemetry GenAI conventions give structured message attributes, as JSON Schemas.

Written from the conventions' published message schemas (gen-ai-input-messages.json,
gen-ai-output-messages.json, gen-ai-system-instructions.json, gen-ai-tool-definitions.json):
messages are ``{role, parts}``; output messages add a ``finish_reason``; each part says its
``type`` and carries that type's required fields.
"""

from __future__ import annotations

from typing import Any

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
