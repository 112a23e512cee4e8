"""Langfuse observations exported without their trace: the UI's observations table (a JSON array), the public
API's ``{data, meta}`` page, and the blob-storage export (JSON lines, snake_case fields, ``YYYY-MM-DD
HH:MM:SS.ffffff`` UTC times, maybe many traces in one file).

``export_document`` turns any of them into the ``{trace, observations}`` shape the importer reads, the
fields in the camelCase the UI export and the API use; observations of more than one trace each get their
trace as a grouping observation (named by the enriched export's ``trace_name``) so runs stay apart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentdbg.importers._common import (
    ImportBuilder,
    first_jsonl_objects,
    read_json_documents,
    read_json_file,
    sniff_json_head,
)

_OBSERVATION_TYPES = {"GENERATION", "SPAN", "EVENT", "TOOL", "AGENT", "CHAIN", "RETRIEVER", "EMBEDDING"}
#: blob-storage export field -> the API's name for it
_CAMEL = {
    "trace_id": "traceId",
    "parent_observation_id": "parentObservationId",
    "start_time": "startTime",
    "end_time": "endTime",
    "status_message": "statusMessage",
    "usage_details": "usageDetails",
    "cost_details": "costDetails",
    "provided_usage_details": "providedUsageDetails",
    "provided_cost_details": "providedCostDetails",
    "provided_model_name": "model",
    "model_parameters": "modelParameters",
    "completion_start_time": "completionStartTime",
    "prompt_id": "promptId",
    "prompt_name": "promptName",
    "prompt_version": "promptVersion",
    "total_cost": "totalCost",
    "project_id": "projectId",
}


def is_observation(record: Any) -> bool:
    """A Langfuse observation row: its type, and the trace it belongs to (either spelling)."""
    return (
        isinstance(record, dict)
        and str(record.get("type")) in _OBSERVATION_TYPES
        and ("traceId" in record or "trace_id" in record)
        and ("startTime" in record or "start_time" in record)
    )


def sniff_rows(head: bytes) -> bool:
    """Whether ``head`` opens an observations export (array, API page or JSON lines)."""
    text = sniff_json_head(head)
    if any(is_observation(record) for record in first_jsonl_objects(text, limit=2)):
        return True
    compact = text[:4096].replace(b" ", b"").replace(b"\n", b"").replace(b"\r", b"").replace(b"\t", b"")
    opens = compact.startswith((b'[{"id":', b'{"data":[{"id":'))
    return opens and b'"traceId":' in compact and b'"type":"' in compact and b'"startTime":' in compact


def _camel(record: dict[str, Any]) -> dict[str, Any]:
    return {_CAMEL.get(key, key): value for key, value in record.items()}


def export_document(path: Path, b: ImportBuilder) -> Any:
    """The file as ``{trace, observations}`` (``None`` when it does not parse; other JSON as it is)."""
    documents = read_json_documents(path, b)
    if not documents:
        return None
    if len(documents) == 1 and documents[0][0] == 1 and not is_observation(documents[0][1]):
        data = documents[0][1]
        if isinstance(data, dict) and isinstance(data.get("data"), list) and "meta" in data:
            rows = data["data"]  # GET /api/public/observations
        elif isinstance(data, list) and data and is_observation(data[0]):
            rows = data
        else:
            return data
    else:  # JSON lines, one observation each
        rows = [record for _, record in documents if is_observation(record)]
        if not rows:  # not an export at all (a forced --format): say it does not parse as one
            return read_json_file(path, b)
        for line, record in documents:
            if not is_observation(record):
                b.problem("not a Langfuse observation (no type/traceId/startTime); skipped", line, "warning")
    observations = [_camel(row) if isinstance(row, dict) else row for row in rows]
    traces = list(dict.fromkeys(str(o.get("traceId")) for o in observations if isinstance(o, dict)))
    if len(traces) <= 1:
        return {"trace": _trace_of(observations, traces[0]) if traces else {}, "observations": observations}
    return {"trace": {}, "observations": _grouped(observations, traces)}


def _trace_of(observations: list[Any], trace_id: str) -> dict[str, Any]:
    """The trace the rows name: its id, first start, and name (the enriched export's ``trace_name``, else
    that of its one top observation, which then stands for it)."""
    rows = [o for o in observations if isinstance(o, dict)]
    ids = {str(o.get("id")) for o in rows}
    top = [o for o in rows if str(o.get("parentObservationId") or "") not in ids]
    name = next((o["trace_name"] for o in rows if o.get("trace_name")), None)
    if name is None and len(top) == 1:
        name = top[0].get("name")
    starts = sorted(str(o["startTime"]) for o in rows if o.get("startTime"))
    return {"id": trace_id, "name": name or "", "timestamp": starts[0] if starts else None}


def _grouped(observations: list[Any], traces: list[str]) -> list[Any]:
    """Each trace's observations under a grouping observation standing for that trace."""
    heads: dict[str, dict[str, Any]] = {}
    ids = {str(o.get("id")) for o in observations if isinstance(o, dict)}
    for observation in observations:
        if not isinstance(observation, dict):
            continue
        trace_id = str(observation.get("traceId"))
        head = heads.setdefault(
            trace_id,
            {
                "id": f"trace-{trace_id}",
                "traceId": trace_id,
                "type": "SPAN",
                "name": str(observation.get("trace_name") or f"trace {trace_id}"),
                "startTime": observation.get("startTime"),
            },
        )
        if str(observation.get("startTime") or "") < str(head.get("startTime") or "~"):
            head["startTime"] = observation.get("startTime")
        if str(observation.get("parentObservationId") or "") not in ids:
            observation["parentObservationId"] = head["id"]
    return [*(heads[t] for t in traces if t in heads), *observations]
