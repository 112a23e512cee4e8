"""One schema: the msgspec fast path, the Span model and ``agentdbg schema`` agree with the record models."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import jsonschema
import msgspec
import pytest
from pydantic_core import PydanticUndefined
from typer.testing import CliRunner

from agentdbg.cli import app
from agentdbg.model.json_schema import trace_line_schema
from agentdbg.model.records import (
    ORIGINS,
    PAYLOAD_FIELDS,
    RECORD_MODELS,
    SPAN_KINDS,
    START_EXTENSIONS,
    SpanEndRecord,
    SpanRecord,
    SpanStartRecord,
)
from agentdbg.model.span import Span
from agentdbg.store import index_fast
from agentdbg.store.reader import validate_record
from agentdbg.store.record_structs import STRUCT_OF_MODEL, SpanEndLine, SpanLine, SpanStartLine

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
from gen import write_run  # noqa: E402

SAMPLES = sorted((ROOT / "sample_traces").glob("*.jsonl")) + sorted((ROOT / "tests/tui/data").glob("*fork*.jsonl"))


def _lines(path: Path) -> list[dict[str, Any]]:
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # 08_crashed_run's torn last line
    return records


@pytest.fixture(scope="module")
def compact_trace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A schema-2 file written by the real writer: llm requests stored relative to earlier ones."""
    return write_run(tmp_path_factory.mktemp("schema") / "compact.jsonl", 40, growth=512)


def _model_default(model: type[Any], name: str) -> Any:
    info = model.model_fields[name]
    if info.default_factory is not None:
        return info.default_factory()
    return msgspec.UNSET if info.default is PydanticUndefined else info.default


@pytest.mark.parametrize("model", [SpanStartRecord, SpanEndRecord, SpanRecord])
def test_each_struct_has_exactly_its_models_fields_tag_and_defaults(model: type[Any]) -> None:
    struct = STRUCT_OF_MODEL[model]
    fields = {field.name: field for field in msgspec.structs.fields(struct)}
    expected = [name for name in model.model_fields if name != "type"]
    if issubclass(model, SpanStartRecord):
        expected += list(START_EXTENSIONS)
    assert sorted(fields) == sorted(expected)
    assert struct.__struct_config__.tag == model.model_fields["type"].default
    assert struct.__struct_config__.forbid_unknown_fields
    for name, field in fields.items():
        if name in PAYLOAD_FIELDS:
            assert field.type is msgspec.Raw and field.default == msgspec.Raw(b"")
        elif name in START_EXTENSIONS:
            assert field.default is None
        else:
            annotation = model.model_fields[name].annotation
            names_a_model = name in ("error", "usage", "fork_of")
            assert field.type == (Any if names_a_model else annotation), name  # kinds, origins: the Literals
            if field.required:
                assert _model_default(model, name) is msgspec.UNSET, name
            else:
                default = field.default_factory() if field.default is msgspec.NODEFAULT else field.default
                assert default == _model_default(model, name), name


def test_the_index_fast_path_decodes_with_the_derived_structs() -> None:
    assert (index_fast._Start, index_fast._End, index_fast._Span) == (SpanStartLine, SpanEndLine, SpanLine)


def test_span_holds_every_record_field_with_the_records_type_and_default() -> None:
    """The reader copies a record's fields onto a Span by name: a field only the record had became an extra."""
    for model in (SpanStartRecord, SpanEndRecord, SpanRecord):
        for name, info in model.model_fields.items():
            if name == "type":
                continue
            assert name in Span.model_fields, f"{model.__name__}.{name} missing from Span"
            span_field = Span.model_fields[name]
            assert span_field.annotation == info.annotation, name
            assert _model_default(Span, name) == _model_default(model, name), name


def test_struct_and_model_agree_on_every_sample_and_schema_2_line(compact_trace: Path) -> None:
    """A line the fast path's struct decodes validates as the model of its tag, with the same small fields."""
    decode = msgspec.json.Decoder(SpanStartLine | SpanEndLine | SpanLine).decode
    decoded = 0
    for path in [*SAMPLES, compact_trace]:
        for record in _lines(path):
            raw = json.dumps(record).encode()
            try:
                line = decode(raw)
            except (msgspec.DecodeError, msgspec.ValidationError):
                assert record["type"] == "trace" or not set(record) <= set(_model_fields(record)), record
                continue
            decoded += 1
            data = {k: v for k, v in record.items() if k not in START_EXTENSIONS}
            model, field, reason = validate_record(data)
            assert model is not None, (path.name, field, reason)
            assert STRUCT_OF_MODEL[type(model)] is type(line)
            for name in type(model).model_fields:
                if name in ("type", *PAYLOAD_FIELDS) or name in ("error", "usage"):
                    continue
                assert getattr(line, name) == getattr(model, name), (path.name, name)
    assert decoded > 300


def _model_fields(record: dict[str, Any]) -> list[str]:
    model = RECORD_MODELS.get(record.get("type", ""))
    names = list(model.model_fields) if model else []
    return names + list(START_EXTENSIONS) if model and issubclass(model, SpanStartRecord) else names


def test_a_field_the_models_do_not_name_is_refused_by_the_struct() -> None:
    decode = msgspec.json.Decoder(SpanStartLine | SpanEndLine | SpanLine).decode
    assert decode(b'{"type": "span_start", "id": "a"}').id == "a"
    with pytest.raises(msgspec.ValidationError):
        decode(b'{"type": "span_start", "id": "a", "shiny": 1}')
    with pytest.raises(msgspec.ValidationError):
        decode(b'{"type": "span_end", "id": "a", "request_ref": {"base": "b", "keys": {}}}')


def test_printed_schema_is_the_generated_one() -> None:
    printed = json.loads(CliRunner().invoke(app, ["schema"]).stdout)
    assert printed == trace_line_schema()
    assert [ref["$ref"].rsplit("/", 1)[1] for ref in printed["oneOf"]] == [m.__name__ for m in RECORD_MODELS.values()]


def test_schema_vocabularies_are_the_models() -> None:
    defs = trace_line_schema()["$defs"]
    for name in ("SpanStartRecord", "SpanRecord"):
        properties = defs[name]["properties"]
        assert properties["kind"]["enum"] == list(SPAN_KINDS)
        origin_enum = next(option["enum"] for option in properties["origin"]["anyOf"] if "enum" in option)
        assert origin_enum == list(ORIGINS)
        assert set(START_EXTENSIONS) <= set(properties)
    for tag, model in RECORD_MODELS.items():
        assert defs[model.__name__]["properties"]["type"]["const"] == tag


def test_schema_validates_schema_1_and_2_traces_and_rejects_wrong_values(compact_trace: Path) -> None:
    document = trace_line_schema()
    jsonschema.Draft202012Validator.check_schema(document)
    validator = jsonschema.Draft202012Validator(document)
    refs = 0
    versions = set()
    for path in [*SAMPLES, compact_trace]:
        for record in _lines(path):
            assert list(validator.iter_errors(record)) == [], (path.name, str(record)[:120])
            refs += "request_ref" in record
            if record["type"] == "trace":
                versions.add(record["schema_version"])
    assert refs > 10 and versions == {1, 2}
    start = {"type": "span_start", "id": "s1", "kind": "llm", "name": "chat"}
    assert not list(validator.iter_errors(start))
    wrong: list[dict[str, Any]] = [
        {**start, "kind": "llm_call"},
        {**start, "origin": "imagined"},
        {**start, "type": "span_begin"},
        {**start, "id": 7},
        {**start, "request_ref": {"base": "s0"}},
        {**start, "request_ref": {"base": "s0", "keys": {"messages": "all"}}},
        {"type": "span_end", "id": "s1", "error": {"status_code": "500"}},
        {"type": "trace", "name": "no id"},
    ]
    for record in wrong:
        assert list(validator.iter_errors(record)), record


def test_an_imported_span_naming_an_unknown_kind_is_classified_not_a_crash(tmp_path: Path) -> None:
    """Importers take kinds from the one definition: a lossless OTel span with agentdbg.kind 'weird' raised
    pydantic's literal_error before (import exit 1); now the conventions decide, as for any foreign span."""
    from agentdbg.importers import open_trace

    runner = CliRunner()
    exported = tmp_path / "run.otlp.json"
    result = runner.invoke(app, ["export", "-f", "otlp-json", str(SAMPLES[2]), "-o", str(exported)])
    assert result.exit_code == 0, result.output
    document = json.loads(exported.read_text())
    changed: list[dict[str, Any]] = []

    def rename(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("key") == "agentdbg.kind" and node["value"].get("stringValue") == "tool" and not changed:
                node["value"] = {"stringValue": "weird"}
                changed.append(node)
            for value in node.values():
                rename(value)
        elif isinstance(node, list):
            for value in node:
                rename(value)

    rename(document)
    assert changed
    exported.write_text(json.dumps(document))
    original = open_trace(SAMPLES[2])
    imported = open_trace(exported)
    assert len(imported.spans) == len(original.spans)
    assert {span.kind for span in imported.spans} <= set(SPAN_KINDS)
    assert [s.kind for s in imported.spans] == [s.kind for s in original.spans]  # the tool span is still a tool


def test_a_spans_line_writes_every_record_field_in_the_models_order() -> None:
    """Span.to_record is written out by hand for speed (capture writes through it): it must follow the models."""
    from agentdbg.model.records import ErrorInfo, Usage

    span = Span(
        id="s2", parent_id="s1", kind="tool", name="lookup", step=2, started_at=1.0, ended_at=2.0,
        input={"name": "lookup", "arguments": {}, "call_id": "c1"}, output="done",
        error=ErrorInfo(type="ToolError", message="boom"), usage=Usage(input_tokens=3),
        attributes={"k": "v"}, origin="live", ended=True,
    )
    whole = span.to_record()
    assert list(whole) == list(SpanRecord.model_fields)
    assert SpanRecord.model_validate(whole).model_dump() == {
        name: getattr(span, name).model_dump() if name in ("error", "usage") else getattr(span, name)
        for name in SpanRecord.model_fields
        if name != "type"
    } | {"type": "span"}
    started = span.model_copy(update={"ended": False}).to_record()
    assert list(started) == list(SpanStartRecord.model_fields)
    validator = jsonschema.Draft202012Validator(trace_line_schema())
    assert not list(validator.iter_errors(whole)) and not list(validator.iter_errors(started))


def test_the_readers_plain_shortcut_only_passes_what_pydantic_takes_unchanged() -> None:
    """is_plain_span_record is derived from the models' annotations: plain lines validate with the same values."""
    import random

    from pydantic import BaseModel, Field

    from agentdbg.model.plain import plain_check
    from agentdbg.store.reader import is_plain_span_record

    rng = random.Random(3)
    records = [r for path in SAMPLES for r in _lines(path) if r["type"] != "trace"]
    odd: list[Any] = [None, 0, 1.5, True, "x", "", [], {}, "llm", "live", "1", {"type": 1}, {"input_tokens": "2"}]
    names = ["id", "parent_id", "kind", "name", "started_at", "ended_at", "attributes", "origin", "usage", "error"]
    plain = refused = 0
    for _ in range(3000):
        record = dict(rng.choice(records))
        for _ in range(rng.randint(0, 2)):
            name = rng.choice(names)
            if rng.random() < 0.2:
                record.pop(name, None)
            else:
                record[name] = rng.choice(odd)
        model, _field, _reason = validate_record(record)
        if not is_plain_span_record(record["type"], record):
            refused += 1
            continue
        plain += 1
        assert model is not None, record
        for name in ("id", "parent_id", "kind", "name", "started_at", "ended_at", "attributes", "origin"):
            if name in record:
                assert getattr(model, name) == record[name], (name, record)
    assert plain > 500 and refused > 500

    class Constrained(BaseModel):
        count: int = Field(default=0, ge=0)

    assert plain_check(Constrained)({}) and not plain_check(Constrained)({"count": 1})
