"""``schema.surely_valid`` (the schema detector's quick check) never passes arguments jsonschema refuses."""

from __future__ import annotations

import random
from typing import Any

from jsonschema import Draft202012Validator

from agentdbg.analysis.detectors.schema import surely_valid

_VALUES: list[Any] = ["", "paris", 0, 1, -3, 1.0, 2.5, True, False, None, [], {}, ["a"], [1, "b"], {"q": "x"}]
_TYPES = ["string", "object", "array", "boolean", "null", "number", "integer"]


def _schema(rng: random.Random, depth: int = 0) -> Any:
    if rng.random() < 0.05:
        return rng.choice([True, False])
    schema: dict[str, Any] = {}
    if rng.random() < 0.7:
        schema["type"] = rng.choice(_TYPES)
    if rng.random() < 0.2:
        schema["description"] = "what it is"
    if depth < 2 and rng.random() < 0.5:
        schema["properties"] = {key: _schema(rng, depth + 1) for key in rng.sample("qxyz", rng.randint(0, 3))}
    if rng.random() < 0.4:
        schema["required"] = rng.sample("qxy", rng.randint(0, 2))
    if rng.random() < 0.3:
        schema["additionalProperties"] = rng.choice([True, False, {"type": "string"}])
    if depth < 2 and rng.random() < 0.2:
        schema["items"] = _schema(rng, depth + 1)
    if rng.random() < 0.1:
        schema["enum"] = rng.sample(["paris", "x", 1, True, None], 2)
    if rng.random() < 0.05:
        schema["minLength"] = 2  # a keyword the quick check leaves to jsonschema
    return schema


def _value(rng: random.Random, depth: int = 0) -> Any:
    if depth < 2 and rng.random() < 0.4:
        return {key: _value(rng, depth + 1) for key in rng.sample("qxyzw", rng.randint(0, 4))}
    if depth < 2 and rng.random() < 0.15:
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return rng.choice(_VALUES)


def test_what_the_quick_check_passes_jsonschema_passes() -> None:
    rng = random.Random(15)
    passed = refused = 0
    for _ in range(20_000):
        schema, value = _schema(rng), _value(rng)
        errors = list(Draft202012Validator(schema).iter_errors(value))
        if surely_valid(value, schema):
            assert not errors, (schema, value)
            passed += 1
        refused += bool(errors)
    assert passed > 5_000 and refused > 5_000  # both sides were exercised


def test_an_offered_tool_schema_takes_the_quick_path() -> None:
    schema = {
        "type": "object",
        "properties": {"query": {"type": "string"}, "limit": {"type": "integer", "description": "at most"}},
        "required": ["query"],
        "additionalProperties": False,
    }
    assert surely_valid({"query": "weather in Paris", "limit": 3}, schema)
    assert not surely_valid({"query": "weather", "extra": 1}, schema)
    assert not surely_valid({"limit": 3}, schema)
    assert not surely_valid({"query": 3}, schema)
    assert not surely_valid({"query": "x", "limit": 1.0}, schema)  # an integer to jsonschema: it decides
