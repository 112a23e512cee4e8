"""Langfuse: ``langfuse://HOST/TRACE_ID`` through its public API, keys from ``LANGFUSE_PUBLIC_KEY`` / ``LANGFUSE_SECRET_KEY``.

A run is ``GET /api/public/traces/{id}`` (the trace with its observations), read by the Langfuse
importer (the same GenAI/OpenInference attribute mapping). Search lists ``GET /api/public/traces``
(``name``, ``fromTimestamp``, ``limit``); with ``--status error`` only the traces that have an
observation at level ``ERROR`` (``GET /api/public/v2/observations?level=ERROR``) are listed. Langfuse's server
cannot run in this project's tests; the mapping is tested on API responses from its public docs.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from agentdbg.errors import SourceError
from agentdbg.importers._common import as_dict, as_int, parse_time
from agentdbg.model.trace import Trace
from agentdbg.sources import RunFilter, RunSummary, SourceRef
from agentdbg.sources._http import request_json


def _headers() -> dict[str, str]:
    public, secret = os.environ.get("LANGFUSE_PUBLIC_KEY"), os.environ.get("LANGFUSE_SECRET_KEY")
    if not public or not secret:
        raise SourceError("Langfuse needs LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY (the project's API keys)")
    return {"Authorization": "Basic " + base64.b64encode(f"{public}:{secret}".encode()).decode()}


def trace_from_api(source: str, document: dict[str, Any]) -> Trace:
    """A ``GET /api/public/traces/{id}`` answer as a ``Trace`` (through the Langfuse importer)."""
    from agentdbg.importers import open_trace

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "langfuse-trace.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        trace = open_trace(path, format="langfuse")
    trace.source = source
    for problem in trace.problems:
        problem.path = source
    return trace


def fetch(ref: SourceRef) -> Trace:
    if len(ref.parts) != 1:
        raise SourceError(f"{ref.text}: expected langfuse://HOST/TRACE_ID")
    trace_id = ref.parts[0]
    document = request_json(
        f"{ref.base_url}/api/public/traces/{quote(trace_id, safe='')}",
        what=f"trace {trace_id}",
        headers=_headers(),
    )
    if not isinstance(document, dict) or not document.get("id"):
        raise SourceError(f"{ref.base_url} has no trace {trace_id}")
    return trace_from_api(ref.text, document)


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat().replace("+00:00", "Z")


def summaries(
    host: str, listing: dict[str, Any], run_filter: RunFilter, failed: set[str] | None
) -> Iterator[RunSummary]:
    """``GET /api/public/traces`` rows as summaries (``failed``: ids of traces with an ERROR observation)."""
    for row in listing.get("data") or []:
        trace_id = str(row.get("id") or "")
        if failed is not None and trace_id not in failed:
            continue
        if run_filter.name and run_filter.name.lower() not in str(row.get("name") or "").lower():
            continue
        usage = as_dict(row.get("usage"))
        yield RunSummary(
            source=f"langfuse://{host}/{trace_id}",
            trace_id=trace_id,
            name=str(row.get("name") or ""),
            started_at=parse_time(row.get("timestamp")),
            status="error" if failed is not None else "ok",
            steps=len(row.get("observations") or []) or None,
            input_tokens=as_int(usage.get("input")),
            output_tokens=as_int(usage.get("output")),
        )


def search(ref: SourceRef, run_filter: RunFilter) -> Iterator[RunSummary]:
    headers = _headers()
    host = ref.base_url.split("://", 1)[1]
    query: dict[str, Any] = {"limit": min(max(run_filter.limit, 1), 100), "orderBy": "timestamp.desc"}
    if run_filter.name:
        query["name"] = run_filter.name
    if run_filter.since is not None:
        query["fromTimestamp"] = _iso(run_filter.since)
    failed: set[str] | None = None
    if run_filter.status == "error":
        observations: dict[str, Any] = {"level": "ERROR", "limit": 1000, "fields": "core,basic"}
        if run_filter.since is not None:
            observations["fromStartTime"] = _iso(run_filter.since)
        errors = request_json(
            f"{ref.base_url}/api/public/v2/observations?{urlencode(observations)}",
            what="observations",
            headers=headers,
        )
        failed = {
            str(o.get("traceId"))
            for o in errors.get("data") or []
            if isinstance(o, dict) and o.get("traceId")
        }
    listing = request_json(
        f"{ref.base_url}/api/public/traces?{urlencode(query)}", what="traces", headers=headers
    )
    yield from summaries(host, listing, run_filter, failed)
