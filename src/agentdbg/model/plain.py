"""Which decoded JSON values a record model takes as they are, read from the model's own annotations.

A reader's shortcut past pydantic: ``plain_check(SpanEndRecord)(data)`` is true only when every field
``data`` has is of its annotation's type already (no coercion, no nested model to build), so the dict
can be used as it stands. False only means "ask pydantic", which stays the one authority.
"""

from __future__ import annotations

from collections.abc import Callable
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

Check = Callable[[Any], bool]
_MISSING: Any = object()


def _never(value: Any) -> bool:
    return False


def _anything(value: Any) -> bool:
    return True


def _value_check(annotation: Any) -> Check:
    """A check that a JSON value validates as ``annotation`` unchanged (``_never`` where there is no cheap one)."""
    if annotation is Any:
        return _anything
    if annotation is str:
        return lambda value: type(value) is str
    if annotation is int:
        return lambda value: type(value) is int  # not bool
    if annotation is float:
        return lambda value: type(value) is float or type(value) is int  # an int is taken as the number it is
    if annotation is type(None):
        return lambda value: value is None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        fields = plain_check(annotation)
        return lambda value: type(value) is dict and fields(value)
    origin = get_origin(annotation)
    if origin is Literal and all(type(choice) is str for choice in get_args(annotation)):
        choices = frozenset(get_args(annotation))
        return lambda value: type(value) is str and value in choices
    if origin in (Union, UnionType):
        options = [_value_check(arg) for arg in get_args(annotation)]
        return lambda value: any(option(value) for option in options)
    if origin is dict and get_args(annotation) == (str, Any):
        return lambda value: type(value) is dict  # JSON object keys are strings
    return _never


def plain_check(model: type[BaseModel]) -> Callable[[dict[str, Any]], bool]:
    """A check that a decoded JSON object validates as ``model`` with every field it has unchanged.

    A missing required field, a constrained field (``Field(ge=...)``) or an annotation without a
    cheap check makes it false; unknown fields are ignored (the models keep them as they are).
    """
    checks: list[tuple[str, Check, bool]] = [
        (name, _never if info.metadata else _value_check(info.annotation), info.is_required())
        for name, info in model.model_fields.items()
    ]

    def is_plain(data: dict[str, Any]) -> bool:
        get = data.get
        for name, check, required in checks:
            value = get(name, _MISSING)
            if value is _MISSING:
                if required:
                    return False
            elif not check(value):
                return False
        return True

    return is_plain
