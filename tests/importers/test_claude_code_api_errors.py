"""Claude Code's own error records (``isApiErrorMessage``): the step's error says what failed (``error``:
rate_limit, authentication_failed, ...) and the HTTP status (``apiErrorStatus``), not only its text.

The record is the one agent-fleet quotes as measured from a real session (k-k1/agent-fleet,
workspace/agent/internal/agents/claude/errors.go @ cc23eaf2dc85c49ae1f2e23f3b0ca1881164e51d), appended to
a real 2.1.152 session (tests/importers/data/MANIFEST.tsv) with the uuid/parentUuid/timestamp the quote
leaves out."""

from __future__ import annotations

import json
from pathlib import Path

from agentdbg.importers import open_trace
from tests.importers.corpus import DATA, jsonl

SESSION = DATA / "claude_code" / "kvsankar_session-01.jsonl"
MEASURED = {
    "type": "assistant",
    "isApiErrorMessage": True,
    "apiErrorStatus": 401,
    "error": "authentication_failed",
    "message": {
        "model": "<synthetic>",
        "content": [
            {
                "type": "text",
                "text": "Please run /login · API Error: 401 OAuth access token has expired. Re-authenticate to continue.",
            }
        ],
    },
}


def test_real_session_counts() -> None:
    records = jsonl(SESSION)
    usage = next(r for r in records if r["type"] == "assistant")["message"]["usage"]
    (llm,) = open_trace(SESSION).llm_spans
    assert (llm.usage.input_tokens, llm.usage.cached_input_tokens, llm.usage.cache_creation_input_tokens) == (
        usage["input_tokens"],
        usage["cache_read_input_tokens"],
        usage["cache_creation_input_tokens"],
    )
    assert llm.usage.output_tokens == usage["output_tokens"] and llm.error is None


def test_api_error_record_names_cause_and_status(tmp_path: Path) -> None:
    records = jsonl(SESSION)
    last = next(r for r in reversed(records) if r["type"] == "assistant")
    error = {**MEASURED, "uuid": "err-1", "parentUuid": last["uuid"], "sessionId": last["sessionId"]}
    error["timestamp"] = last["timestamp"]
    path = tmp_path / "session.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in [*records, error]))
    trace = open_trace(path)
    failed = [s for s in trace.llm_spans if s.error is not None]
    assert len(failed) == 1
    assert failed[0].error.type == "authentication_failed" and failed[0].error.status_code == 401
    assert "OAuth access token has expired" in failed[0].error.message


def test_error_as_object(tmp_path: Path) -> None:
    """The other shape seen in the wild: ``"error": {"status": 529, "message": "Overloaded"}`` and no text."""
    records = jsonl(SESSION)
    last = next(r for r in reversed(records) if r["type"] == "assistant")
    error = {
        "type": "assistant",
        "isApiErrorMessage": True,
        "uuid": "err-2",
        "parentUuid": last["uuid"],
        "sessionId": last["sessionId"],
        "timestamp": last["timestamp"],
        "error": {"status": 529, "message": "Overloaded"},
        "message": {"model": "<synthetic>", "content": []},
    }
    path = tmp_path / "session.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in [*records, error]))
    (failed,) = [s for s in open_trace(path).llm_spans if s.error is not None]
    assert (failed.error.type, failed.error.status_code, failed.error.message) == (
        "api_error",
        529,
        "Overloaded",
    )
