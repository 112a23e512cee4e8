"""The index's msgspec structs of span lines, built from the record models so the two cannot drift.

Each struct has exactly the fields of its pydantic record (``model/records.py``) plus, on span
starts, the schema-2 fields readers consume before validation (``START_EXTENSIONS``); the
``type`` tag is the model's own, and so are the types (``SpanKind`` and ``Origin`` Literals,
``str``, ``float | None``, ``dict[str, Any]``): msgspec accepts a value of these only where
pydantic accepts it with the same value, so a line the struct takes validates. Nested models
(``error``, ``usage``) stay ``Any`` for the fast path (``store/index_fast.py``) to check;
payload fields are kept as raw bytes, unparsed. A line with a missing id, an odd type or a
field the model does not name fails to decode and takes the reader's rules instead.
"""

from __future__ import annotations

from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

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
        return msgspec.NODEFAULT  # required: a line without it is left to the reader to name the problem
    return info.default


def _exact(annotation: Any) -> bool:
    """Whether msgspec decodes ``annotation`` at most as leniently as pydantic, to the same value."""
    if annotation in (str, float, type(None)):
        return True  # msgspec's float takes a JSON int as pydantic does; neither takes a bool or a string
    origin = get_origin(annotation)
    if origin is Literal:
        return all(type(value) is str for value in get_args(annotation))
    if origin in (Union, UnionType):
        return all(_exact(arg) for arg in get_args(annotation))
    return origin is dict and get_args(annotation) == (str, Any)


def _struct_type(model: type[BaseModel], name: str) -> Any:
    """The model's own type where msgspec checks it as strictly (kinds, origins, ids, times); else ``Any``."""
    info = model.model_fields[name]
    return info.annotation if not info.metadata and _exact(info.annotation) else Any


def struct_of(model: type[BaseModel]) -> type[msgspec.Struct]:
    """The struct that decodes the lines ``model`` validates (tagged by the model's ``type``)."""
    fields: list[tuple[str, Any, Any]] = []
    for name in model.model_fields:
        if name == "type":
            continue
        if name in PAYLOAD_FIELDS:
            fields.append((name, msgspec.Raw, NO_RAW))
        else:
            fields.append((name, _struct_type(model, name), _default(model, name)))
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
