"""Fuzzed inputs for opening files: any JSON as a ``type`` field, damaged ``.eval`` archives, random YAML
anchors. Every case ends in a trace or an ``AgentdbgError`` (one line naming the file), never anything else."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentdbg.analysis.summary import summarize
from agentdbg.errors import AgentdbgError
from agentdbg.importers import detect_format, open_trace

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
HEADER = {"type": "trace", "schema_version": 1, "trace_id": "t", "name": "fuzz"}
SPAN = {"type": "span", "id": "a", "kind": "tool", "name": "lookup", "started_at": 1.0, "ended_at": 2.0}
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def opens_or_says_why(path: Path) -> None:
    try:
        trace = open_trace(path)
    except AgentdbgError as exc:
        assert str(path) in exc.message and "\n" not in exc.message, exc.message
        return
    json.dumps([span.to_record() for span in trace.spans], default=str)
    assert summarize(str(path))["ok"] in (True, False)


@FUZZ
@given(kind=JSON, extra=st.dictionaries(st.sampled_from(["id", "kind", "name", "spans", "messages"]), JSON, max_size=3), ours=st.booleans())
def test_any_json_as_the_type_of_the_first_line(tmp_path: Path, kind: object, extra: dict[str, object], ours: bool) -> None:
    path = tmp_path / "first.jsonl"
    rows = [{"type": kind, **extra}] + ([HEADER, SPAN] if ours else [])
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    try:
        detect_format(path)
    except AgentdbgError as exc:
        assert not ours and "agentdbg formats" in exc.message
    opens_or_says_why(path)


def _eval_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("header.json", json.dumps({"version": 2, "status": "success", "eval": {"task": "t"}}))
        for number in range(3):
            sample = {"id": number, "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}
            archive.writestr(f"samples/{number}_epoch_1.json", json.dumps(sample))
    return buffer.getvalue()


EVAL = _eval_bytes()


@FUZZ
@given(
    flips=st.lists(st.tuples(st.integers(0, len(EVAL) - 1), st.integers(1, 255)), min_size=1, max_size=8),
    cut=st.one_of(st.none(), st.integers(4, len(EVAL))),
)
def test_damaged_eval_archives(tmp_path: Path, flips: list[tuple[int, int]], cut: int | None) -> None:
    data = bytearray(EVAL)
    for offset, mask in flips:
        data[offset] ^= mask
    path = tmp_path / "log.eval"
    path.write_bytes(bytes(data[:cut] if cut is not None else data))
    opens_or_says_why(path)


ANCHORED = st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5), st.booleans()), min_size=1, max_size=10)


@FUZZ
@given(links=ANCHORED)
def test_random_anchor_graphs_in_a_cassette(tmp_path: Path, links: list[tuple[int, int, bool]]) -> None:
    """Anchors a0..a5, each a list that may alias any other (cycles included) under parsed_body."""
    members: dict[int, list[str]] = {n: [] for n in range(6)}
    for source, target, twice in links:
        members[source].extend([f"*a{target}"] * (2 if twice else 1))
    # a0 holds a1 holds ... a5; each list's aliases come after its nested child, so every anchor is
    # known by then: an alias to a deeper anchor shares, one to itself or an outer anchor is a cycle
    nested = "x"
    for number in range(5, -1, -1):
        nested = f"&a{number} [{', '.join([nested, *members[number]])}]"
    body = f"{{model: gpt-4o, messages: [], tree: {nested}}}"
    text = (
        "interactions:\n- request:\n    method: POST\n    uri: https://api.openai.com/v1/chat/completions\n"
        f"    parsed_body: {body}\n  response:\n    status: {{code: 200}}\n    parsed_body: {{choices: []}}\n"
    )
    path = tmp_path / "c.yaml"
    path.write_text(text)
    opens_or_says_why(path)


@pytest.mark.parametrize("size", [1, 2, 3, 100, 4096, 70_000])
def test_truncated_native_heads(tmp_path: Path, size: int) -> None:
    full = (json.dumps({**HEADER, "metadata": {"pad": "p" * 80_000}}) + "\n" + json.dumps(SPAN) + "\n").encode()
    path = tmp_path / "cut.jsonl"
    path.write_bytes(full[:size])
    opens_or_says_why(path)
