"""The index's msgspec structs of span lines, built from the record models so the two cannot drift.

Each struct has exactly the fields of its pydantic record (``model/records.py``) plus, on span
starts, the schema-2 fields readers consume before validation (``START_EXTENSIONS``); the
``type`` tag is the model's own. Types are left open (``Any``) because the fast path
(``store/index_fast.py``) checks them itself and hands anything unusual to the reader's rules;
payload fields are kept as raw bytes, unparsed. Unknown fields are refused, so a line with a
field the model does not name takes the slow path too.
"""

from __future__ import annotations

from typing import Any

import msgspec
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from agentdbg.model.records import (
    PAYLOAD_FIELDS,
    START_EXTENSIONS,
    SpanEndRecord,
    SpanRecord,
    SpanStartRecord,
)

NO_RAW = msgspec.Raw(b"")  # a payload the line does not have


def _default(model: type[BaseModel], name: str) -> Any:
    info = model.model_fields[name]
    if info.default_factory is not None:
        value = info.default_factory()  # type: ignore[call-arg]
        if value:  # msgspec copies only empty mutable defaults
            raise TypeError(f"{model.__name__}.{name}: a non-empty default factory has no msgspec form")
        return value
    if info.default is PydanticUndefined:
        return msgspec.UNSET  # required: a line without it is left to the reader to name the problem
    return info.default


def struct_of(model: type[BaseModel]) -> type[msgspec.Struct]:
    """The struct that decodes the lines ``model`` validates (tagged by the model's ``type``)."""
    fields: list[tuple[str, Any, Any]] = []
    for name in model.model_fields:
        if name == "type":
            continue
        if name in PAYLOAD_FIELDS:
            fields.append((name, msgspec.Raw, NO_RAW))
        else:
            fields.append((name, Any, _default(model, name)))
    if issubclass(model, SpanStartRecord):
        fields.extend((name, Any, None) for name in START_EXTENSIONS)
    return msgspec.defstruct(
        model.__name__.removesuffix("Record") + "Line",
        fields,
        tag_field="type",
        tag=model.model_fields["type"].default,
        forbid_unknown_fields=True,
        module=__name__,
    )


SpanStartLine = struct_of(SpanStartRecord)
SpanEndLine = struct_of(SpanEndRecord)
SpanLine = struct_of(SpanRecord)
STRUCT_OF_MODEL: dict[type[BaseModel], type[msgspec.Struct]] = {
    SpanStartRecord: SpanStartLine,
    SpanEndRecord: SpanEndLine,
    SpanRecord: SpanLine,
}
