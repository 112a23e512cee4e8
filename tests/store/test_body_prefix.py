"""Finding what a request body extends by its bytes: encodings, branches, and bodies that do not fit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from agentdbg.model.records import TraceHeader
from agentdbg.model.span import Span
from agentdbg.model.trace import Trace
from agentdbg.store import body_prefix, compact, read_trace
from agentdbg.store.body_prefix import SentBody
from agentdbg.store.compact import COMPACT_KEY
from agentdbg.store.writer import TraceWriter, write_trace

HEADER = {"type": "trace", "schema_version": 2, "trace_id": "t", "name": "n", "started_at": 0.0}


@pytest.fixture(autouse=True, params=["digest", "bytes"])
def prefix_check(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs with the prefix's XXH3 digest kept, and without xxhash (the body kept and compared)."""
    if request.param == "bytes":
        monkeypatch.setattr(body_prefix, "xxhash", None)
    return str(request.param)


def _messages(count: int) -> list[dict[str, Any]]:
    return [
        {"role": "user" if n % 2 else "assistant", "content": f"message number {n} " * 4}
        for n in range(count)
    ]


def _record(writer: TraceWriter, span_id: str, body: bytes) -> bool:
    """What capture does with a request body; True when it was written as an extension."""
    extension = writer.find_extension(body)
    start: dict[str, Any] = {
        "type": "span_start",
        "id": span_id,
        "kind": "llm",
        "name": "llm",
        "started_at": 1.0,
    }
    if extension is not None:
        start["input"] = {"provider": "openai", "api": "chat.completions", "request": extension.request()}
        start[COMPACT_KEY] = extension.ref()
        writer.write(start, sent=SentBody(body, extension=extension))
    else:
        request = orjson.loads(body)
        start["input"] = {"provider": "openai", "api": "chat.completions", "request": request}
        writer.write(start, sent=SentBody(body, request=request))
    writer.write({"type": "span_end", "id": span_id, "ended_at": 2.0, "output": None})
    return extension is not None


def _requests(path: Path) -> list[Any]:
    trace = read_trace(path)
    assert [str(p) for p in trace.problems] == []
    return [span.input["request"] for span in trace.spans]


def test_bodies_in_the_stdlib_default_encoding_are_extended_too(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    sent = [{"model": "m", "messages": _messages(n), "temperature": 0.5} for n in (3, 5, 6)]
    with TraceWriter(path) as writer:
        writer.write(HEADER)
        found = [
            _record(writer, f"s{n}", json.dumps(r).encode()) for n, r in enumerate(sent)
        ]  # ", " and ": "
    assert found == [False, True, True]
    assert _requests(path) == sent


def test_a_branch_from_an_earlier_request_and_a_changed_parameter(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    base = _messages(4)
    sent = [
        {"model": "m", "messages": base},
        {"model": "m", "messages": base + _messages(2)},
        {"model": "m", "messages": base + _messages(3)[2:]},  # extends the first, not the second
        {"model": "m", "messages": base + _messages(3)[2:] + _messages(1)},
        {"model": "other", "messages": base + _messages(3)[2:] + _messages(2)},  # the head changed
        {"model": "other", "messages": base + _messages(3)[2:] + _messages(2)},  # the same body again
    ]
    with TraceWriter(path) as writer:
        writer.write(HEADER)
        found = [_record(writer, f"s{n}", orjson.dumps(r)) for n, r in enumerate(sent)]
    assert found == [False, True, False, True, False, True]
    assert _requests(path) == sent


def test_a_history_item_changed_in_place_is_written_as_sent(tmp_path: Path, prefix_check: str) -> None:
    """One byte of an early item changed, the length the same: the body no longer extends the last one."""
    path = tmp_path / "t.jsonl"
    history = _messages(40)
    sent = [{"model": "m", "messages": history[:30]}, {"model": "m", "messages": history[:32]}]
    edited = [dict(item) for item in history[:34]]
    edited[3]["content"] = edited[3]["content"].replace("number 3", "number 7", 1)
    sent += [{"model": "m", "messages": edited}, {"model": "m", "messages": edited + history[34:36]}]
    with TraceWriter(path) as writer:
        writer.write(HEADER)
        found = [_record(writer, f"s{n}", orjson.dumps(r)) for n, r in enumerate(sent)]
        kept = writer._bodies._entries[0] if writer._bodies is not None else None
    assert found == [False, True, False, True]
    assert _requests(path) == sent
    assert kept is not None and (kept.body is None) == (prefix_check == "digest")  # no body held with a digest


def test_bodies_that_only_look_like_an_extension_are_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    first = {"messages": _messages(3), "model": "m"}
    body = orjson.dumps(first)
    head = body[: body.index(b'],"model"')]
    odd = [
        head + b',{"role":"user","content":"x"}],"model":"m","extra":1}',  # other keys after the list
        head + b',1],"tools":[2],"model":"m"}',  # the bytes between are not whole items
        head + b']  ,"model":"m"}',  # nothing appended, but not the same bytes either
        # no encoder writes an escaped "\u00e9" with compact separators: not learned, so never extended
        b'{"messages":[{"role":"user","content":"caf\\u00e9"}],"model":"m"}',
        b'{"messages":[{"role":"user","content":"caf\\u00e9"}],"model":"m"}',
    ]
    with TraceWriter(path) as writer:
        writer.write(HEADER)
        assert not _record(writer, "s0", body)
        found = [_record(writer, f"s{n + 1}", data) for n, data in enumerate(odd)]
    assert found == [False, False, False, False, False]
    assert _requests(path) == [first] + [orjson.loads(data) for data in odd]


def _imported(steps: int, history: list[dict[str, Any]]) -> Trace:
    """A run as an importer builds it: each llm request's history shares the item objects of the last one."""
    spans = []
    for n in range(steps):
        request = {"model": "m", "max_tokens": 100, "messages": history[: 1 + 2 * n]}
        spans.append(
            Span(
                id=f"s{n}",
                kind="llm",
                step=n + 1,
                started_at=float(n),
                ended_at=n + 0.5,
                ended=True,
                input={"provider": "anthropic", "api": "messages", "request": request},
                output={"role": "assistant", "content": [{"type": "text", "text": "ok"}]},
            )
        )
    return Trace(header=TraceHeader(trace_id="imported", name="imported"), spans=spans)


def test_write_trace_encodes_each_history_item_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    looked_up = []
    encode_items = compact._encode_items

    def counting(items: list[Any], memo: Any) -> list[bytes]:
        looked_up.append(len(items))
        return encode_items(items, memo)

    monkeypatch.setattr(compact, "_encode_items", counting)
    monkeypatch.setattr(body_prefix, "_encode_items", counting)
    history = _messages(2 * 400 + 1)
    for steps in (40, 400):
        looked_up.clear()
        path = tmp_path / f"{steps}.jsonl"
        trace = _imported(steps, history)
        write_trace(path, trace)
        # each request's two new items (a short first request or two are read whole), not its whole history
        assert len(looked_up) <= steps + 2 and set(looked_up[4:]) == {2} and sum(looked_up) < 2 * steps + 8
        assert _requests(path) == [span.input["request"] for span in trace.spans]


def test_write_trace_does_not_take_equal_items_for_the_same(tmp_path: Path) -> None:
    """``True == 1`` and ``{"a": 1, "b": 2} == {"b": 2, "a": 1}`` in Python, not in JSON: only the same objects are shared."""
    history = _messages(11)
    trace = _imported(5, history)
    later = trace.spans[3].input["request"]["messages"]
    later[0] = {"content": later[0]["content"], "role": later[0]["role"]}  # equal, other key order
    later[1] = {**later[1], "n": True}
    trace.spans[2].input["request"]["messages"][1] = {**later[1], "n": 1}
    path = tmp_path / "t.jsonl"
    write_trace(path, trace)
    assert orjson.dumps(_requests(path)) == orjson.dumps([span.input["request"] for span in trace.spans])
