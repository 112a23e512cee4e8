"""MLflow tracking server: ``mlflow://HOST:PORT/TRACE_ID`` through its tracing REST API (``/api/3.0/mlflow/traces``).

A run comes from ``GET /api/3.0/mlflow/traces/get?trace_id=tr-…`` (its spans in OTLP proto JSON,
base64 ids); search is ``POST /api/3.0/mlflow/traces/search`` with an MLflow filter string
(``span.status = 'ERROR'``, ``trace.timestamp_ms > …``) on one experiment (``mlflow://HOST:PORT/EXPERIMENT_ID``,
default ``0``). ``MLFLOW_TRACKING_TOKEN``, or ``MLFLOW_TRACKING_USERNAME``/``PASSWORD``, authenticate.
A trace id may be given with or without MLflow's ``tr-`` prefix (OTel ids are pushed as ``tr-<hex>``).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from agentdbg.errors import SourceError
from agentdbg.importers._common import as_dict, as_int, parse_time
from agentdbg.model.trace import Trace
from agentdbg.sources import RunFilter, RunSummary, SourceRef
from agentdbg.sources._http import request_json
from agentdbg.sources._spans import trace_from_spans

DEFAULT_EXPERIMENT = "0"


def _headers() -> dict[str, str]:
    token = os.environ.get("MLFLOW_TRACKING_TOKEN")
    if token:
        return {"Authorization": f"Bearer {token}"}
    user, password = os.environ.get("MLFLOW_TRACKING_USERNAME"), os.environ.get("MLFLOW_TRACKING_PASSWORD")
    if user and password:
        return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}
    return {}


def _hex(value: Any) -> Any:
    """A proto-JSON (base64) id as hex; a value that is already hex stays as it is."""
    if not isinstance(value, str) or not value:
        return value
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return value
    return raw.hex() if len(raw) in (8, 16) else value


def _otlp_span(span: dict[str, Any]) -> dict[str, Any]:
    return {
        **span,
        "span_id": _hex(span.get("span_id")),
        "parent_span_id": _hex(span.get("parent_span_id")) or None,
        "trace_id": _hex(span.get("trace_id")),
    }


def _mlflow_id(trace_id: str) -> str:
    return trace_id if trace_id.startswith("tr-") else f"tr-{trace_id}"


def fetch(ref: SourceRef) -> Trace:
    if len(ref.parts) != 1:
        raise SourceError(f"{ref.text}: expected mlflow://HOST:PORT/TRACE_ID")
    trace_id = _mlflow_id(ref.parts[0])
    url = f"{ref.base_url}/api/3.0/mlflow/traces/get?{urlencode({'trace_id': trace_id})}"
    answer = request_json(url, what=f"trace {trace_id}", headers=_headers())
    spans = as_dict(answer.get("trace")).get("spans") or []
    if not spans:
        raise SourceError(f"{ref.base_url} has no spans for trace {trace_id}")
    trace = trace_from_spans(ref.text, [_otlp_span(s) for s in spans if isinstance(s, dict)], "mlflow")
    return trace


def _filter(run_filter: RunFilter) -> str:
    clauses = []
    if run_filter.status == "error":
        clauses.append("span.status = 'ERROR'")
    elif run_filter.status == "ok":
        clauses.append("trace.status = 'OK'")
    if run_filter.since is not None:
        clauses.append(f"trace.timestamp_ms > {int(run_filter.since * 1000)}")
    return " AND ".join(clauses)


def search(ref: SourceRef, run_filter: RunFilter) -> Iterator[RunSummary]:
    if len(ref.parts) > 1:
        raise SourceError(f"{ref.text}: a search prefix is mlflow://HOST:PORT[/EXPERIMENT_ID]")
    experiment = ref.parts[0] if ref.parts else DEFAULT_EXPERIMENT
    body: dict[str, Any] = {
        "locations": [{"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": experiment}}],
        "max_results": min(max(run_filter.limit, 1), 500),
        "order_by": ["timestamp_ms DESC"],
    }
    if _filter(run_filter):
        body["filter"] = _filter(run_filter)
    found, token = 0, None
    host = ref.base_url.split("://", 1)[1]
    for _ in range(20):  # a search is a listing, not a download of everything
        page = request_json(
            f"{ref.base_url}/api/3.0/mlflow/traces/search",
            what=f"experiment {experiment}",
            body={**body, **({"page_token": token} if token else {})},
            headers=_headers(),
        )
        for info in page.get("traces") or []:
            summary = _summary(host, info, run_filter)
            if summary is None:
                continue
            yield summary
            found += 1
            if found >= run_filter.limit:
                return
        token = page.get("next_page_token")
        if not token:
            return


def _summary(host: str, info: dict[str, Any], run_filter: RunFilter) -> RunSummary | None:
    tags = as_dict(info.get("tags"))
    metadata = as_dict(info.get("trace_metadata"))
    name = str(tags.get("mlflow.traceName") or metadata.get("mlflow.traceName") or "")
    if run_filter.name and run_filter.name.lower() not in name.lower():
        return None
    try:
        usage = as_dict(json.loads(metadata.get("mlflow.trace.tokenUsage") or "{}"))
    except ValueError:
        usage = {}
    trace_id = str(info.get("trace_id") or "")
    failed = run_filter.status == "error" or str(info.get("state")).upper() == "ERROR"
    return RunSummary(
        source=f"mlflow://{host}/{trace_id}",
        trace_id=trace_id.removeprefix("tr-"),
        name=name,
        started_at=parse_time(info.get("request_time")),
        status="error" if failed else "ok",
        input_tokens=as_int(usage.get("input_tokens")),
        output_tokens=as_int(usage.get("output_tokens")),
    )
