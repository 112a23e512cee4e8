"""The patch loader and applier: any input gives a patched document or a named PatchError, nothing else."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentdbg.errors import AgentdbgError, PatchError
from agentdbg.replay import apply_any, combine_patch, document_request, load_patch, parse_set, step_document
from agentdbg.store import read_trace

SAMPLE = Path(__file__).resolve().parents[2] / "sample_traces" / "03_tool_loop.jsonl"
TRACE = read_trace(SAMPLE)
LLM_DOCUMENT = step_document(TRACE, TRACE.llm_spans[0])
TOOL_DOCUMENT = step_document(TRACE, TRACE.tool_spans[0])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=12,
)
pointers = st.lists(
    st.sampled_from(
        ["system", "messages", "0", "1", "-", "content", "tools", "params", "model", "x", "~1", "~0", "99"]
    ),
    max_size=4,
).map(lambda parts: "/" + "/".join(parts)) | st.text(max_size=8)
ops = st.fixed_dictionaries(
    {
        "op": st.sampled_from(["add", "remove", "replace", "move", "copy", "test", "bogus"])
        | st.text(max_size=5),
        "path": pointers,
    },
    optional={"value": json_values, "from": pointers},
)
patches = (
    st.lists(ops | json_values, max_size=5)
    | st.dictionaries(st.text(max_size=8), json_values, max_size=4)
    | json_values
)


@settings(max_examples=400, deadline=None)
@given(patch=patches, which=st.sampled_from(["llm", "tool"]))
def test_any_patch_applies_or_names_the_problem(patch: object, which: str) -> None:
    document = LLM_DOCUMENT if which == "llm" else TOOL_DOCUMENT
    try:
        result = apply_any(document, patch)
    except PatchError as error:
        assert error.message
        return
    assert result is not document
    if which == "llm" and isinstance(result, dict):
        try:  # turning the edited document back into a request is the next thing replay does
            document_request("openai.chat.completions", result, TRACE.llm_spans[0].input["request"])
        except AgentdbgError as error:
            assert error.message


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300))
def test_any_patch_file_loads_or_names_the_problem(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fix.json"
    path.write_bytes(data)
    try:
        load_patch(path)
    except PatchError as error:
        assert str(path) in error.message


@settings(max_examples=200, deadline=None)
@given(assignments=st.lists(st.text(max_size=20), max_size=3))
def test_any_set_assignment_parses_or_names_the_problem(assignments: list[str]) -> None:
    try:
        patch = combine_patch(None, assignments)
        apply_any(LLM_DOCUMENT, patch)
    except PatchError as error:
        assert error.message
    for item in assignments:
        if "=" not in item:
            try:
                parse_set(item)
            except PatchError as error:
                assert "PATH=JSON" in error.message
            else:
                raise AssertionError(f"--set {item!r} without '=' was accepted")
