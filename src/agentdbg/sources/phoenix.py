"""Arize Phoenix: ``phoenix://HOST:PORT/[PROJECT/]TRACE_ID`` through its REST API (``/v1/projects/...``).

A run's spans come from ``GET /v1/projects/{project}/spans/otlpv1?trace_id=`` (OTLP JSON spans);
search uses ``GET /v1/projects/{project}/traces`` with its ``filter`` (``error_count > 0``),
``start_time`` and ``limit``. ``PHOENIX_API_KEY`` (when set) is sent as a bearer token.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, urlencode

from agentdbg.errors import SourceError
from agentdbg.importers._common import parse_time
from agentdbg.model.trace import Trace
from agentdbg.sources import RunFilter, RunSummary, SourceRef
from agentdbg.sources._http import request_json
from agentdbg.sources._spans import trace_from_spans

DEFAULT_PROJECT = "default"
PAGE = 1000


def _headers() -> dict[str, str]:
    key = os.environ.get("PHOENIX_API_KEY")
    return {"Authorization": f"Bearer {key}"} if key else {}


def _project_and_id(ref: SourceRef) -> tuple[str, str]:
    if len(ref.parts) == 1:
        return DEFAULT_PROJECT, ref.parts[0]
    if len(ref.parts) == 2:
        return ref.parts[0], ref.parts[1]
    raise SourceError(f"{ref.text}: expected phoenix://HOST:PORT/[PROJECT/]TRACE_ID")


def fetch(ref: SourceRef) -> Trace:
    project, trace_id = _project_and_id(ref)
    spans: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {"trace_id": trace_id, "limit": PAGE, **({"cursor": cursor} if cursor else {})}
        url = f"{ref.base_url}/v1/projects/{quote(project, safe='')}/spans/otlpv1?{urlencode(query)}"
        page = request_json(url, what=f"project {project!r}", headers=_headers())
        spans.extend(page.get("data") or [])
        cursor = page.get("next_cursor")
        if not cursor:
            break
    if not spans:
        raise SourceError(f"{ref.base_url} has no trace {trace_id} in project {project!r}")
    return trace_from_spans(ref.text, spans, "phoenix")


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat()


def _pages(ref: SourceRef, project: str, run_filter: RunFilter) -> Iterator[dict[str, Any]]:
    query: dict[str, Any] = {"limit": min(max(run_filter.limit, 1), 1000), "include_spans": "true"}
    if run_filter.status == "error":
        query["filter"] = "error_count > 0"
    elif run_filter.status == "ok":
        query["filter"] = "error_count == 0"
    if run_filter.since is not None:
        query["start_time"] = _iso(run_filter.since)
    cursor = None
    for _ in range(20):  # at most 20 pages: a search is a listing, not a download of everything
        url = f"{ref.base_url}/v1/projects/{quote(project, safe='')}/traces?{urlencode({**query, **({'cursor': cursor} if cursor else {})})}"
        page = request_json(url, what=f"project {project!r}", headers=_headers())
        yield from page.get("data") or []
        cursor = page.get("next_cursor")
        if not cursor:
            return


def search(ref: SourceRef, run_filter: RunFilter) -> Iterator[RunSummary]:
    if len(ref.parts) > 1:
        raise SourceError(f"{ref.text}: a search prefix is phoenix://HOST:PORT[/PROJECT]")
    project = ref.parts[0] if ref.parts else DEFAULT_PROJECT
    found = 0
    for trace in _pages(ref, project, run_filter):
        spans = trace.get("spans") or []
        root = next((s for s in spans if not s.get("parent_id")), spans[0] if spans else {})
        name = str(root.get("name") or "")
        if run_filter.name and run_filter.name.lower() not in name.lower():
            continue
        failed = any(str(s.get("status_code")).upper() == "ERROR" for s in spans)
        trace_id = str(trace.get("trace_id"))
        yield RunSummary(
            source=f"phoenix://{ref.base_url.split('://', 1)[1]}/{project}/{trace_id}",
            trace_id=trace_id,
            name=name,
            started_at=parse_time(trace.get("start_time")),
            status="error" if failed else "ok",
            steps=len(spans),
            input_tokens=trace.get("token_count_prompt"),
            output_tokens=trace.get("token_count_completion"),
        )
        found += 1
        if found >= run_filter.limit:
            return
