"""The JSON Schema of a trace line, generated from the record models (what ``agentdbg schema`` prints)."""

from __future__ import annotations

from typing import Any

from agentdbg.model.records import RECORD_MODELS, SCHEMA_VERSION, START_EXTENSIONS, SpanStartRecord


def trace_line_schema() -> dict[str, Any]:
    """One JSON Schema (draft 2020-12) that every line of a schema 1 or 2 trace file validates against.

    Each record model's schema goes under ``$defs`` with its nested models (``Usage``, ``ErrorInfo``,
    ``ForkOf``) hoisted beside it, so their ``#/$defs/...`` references resolve against the root; the
    schema-2 fields readers consume before validation (``START_EXTENSIONS``) are added to the span
    starts as optional properties.
    """
    defs: dict[str, Any] = {}
    for model in RECORD_MODELS.values():
        schema = model.model_json_schema()
        defs.update(schema.pop("$defs", {}))
        if issubclass(model, SpanStartRecord):
            for name, extension in START_EXTENSIONS.items():
                defs[extension.__name__] = extension.model_json_schema()
                schema["properties"][name] = {"$ref": f"#/$defs/{extension.__name__}"}
        defs[model.__name__] = schema
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"agentdbg trace line (schema version {SCHEMA_VERSION}; version 1 files are read too)",
        "description": "Each line of a trace file is one of these records; the first is the header.",
        "oneOf": [{"$ref": f"#/$defs/{model.__name__}"} for model in RECORD_MODELS.values()],
        "$defs": defs,
    }
