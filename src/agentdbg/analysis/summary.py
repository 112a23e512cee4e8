"""A small, JSON-ready summary of one trace file: what ``search`` matches against and caches.

Each step keeps its kind, name, tools, error, model and searchable text (only
the messages it adds, so a long conversation is not stored once per step).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentdbg.analysis.calls import RunFacts, canonical, final_answer, tool_view
from agentdbg.analysis.detectors.truncation import message_key
from agentdbg.analysis.diagnose import diagnose_facts
from agentdbg.errors import AgentdbgError, NotATraceError
from agentdbg.model.span import Span
from agentdbg.store.reader import read_trace

SUMMARY_VERSION = 1
MAX_STEP_TEXT = 8_000


def _step_text(span: Span, facts: RunFacts, seen: set[str]) -> tuple[str, list[str], str | None]:
    """(searchable text, tools called or run, model) of one step."""
    parts: list[str] = [span.name]
    tools: list[str] = []
    model = None
    view = facts.views.get(span.id)
    if view is not None:
        model = view.model
        for message in view.prompt:
            key = message_key(message)
            if key not in seen:
                seen.add(key)
                parts.append(message.text)
        for message in view.answer:
            seen.add(message_key(message))
            parts.append(message.text)
        for call in view.tool_calls:
            tools.append(call.name)
            parts.append(f"{call.name} {canonical(call.arguments)}")
    elif span.kind == "tool" and (tool := tool_view(span)) is not None:
        tools.append(tool.name)
        parts.append(canonical(tool.arguments))
        parts.append(tool.result_text)
    else:
        parts.append(canonical(span.input) if span.input is not None else "")
        parts.append(canonical(span.output) if span.output is not None else "")
    if span.error is not None:
        parts.append(f"{span.error.type}: {span.error.message}")
    text = "\n".join(part for part in parts if part)
    return text[:MAX_STEP_TEXT], tools, model


def summarize(path: str) -> dict[str, Any]:
    """The summary of the trace at ``path``; ``{"ok": False, "error": ...}`` when it cannot be read. Never raises."""
    from agentdbg.importers import IMPORTERS, open_trace

    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
        native = "agentdbg" in IMPORTERS and IMPORTERS["agentdbg"].sniff(head, Path(path))
        # our own files go straight to the reader: format detection costs more than reading a small trace
        trace = read_trace(path) if native else open_trace(path)
    except NotATraceError as exc:
        return {"ok": False, "error": exc.message, "not_trace": True}
    except AgentdbgError as exc:
        return {"ok": False, "error": exc.message}
    except (
        OSError,
        ValueError,
        RecursionError,
    ) as exc:  # an importer choking on a file that only looked like its format
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    if not trace.spans and trace.problems:
        return {"ok": False, "error": str(trace.problems[0])}
    facts = RunFacts.of(trace)
    findings = diagnose_facts(facts)
    seen: set[str] = set()
    steps = []
    models: set[str] = set()
    for span in trace.spans:
        text, tools, model = _step_text(span, facts, seen)
        if model:
            models.add(model)
        steps.append(
            {
                "n": span.step,
                "kind": span.kind,
                "name": span.name,
                "tools": tools,
                "model": model,
                "status": span.status,
                "error": f"{span.error.type}: {span.error.message}"[:300] if span.error else None,
                "text": text,
            }
        )
    started = trace.header.started_at
    if started is None:
        started = min((span.started_at for span in trace.spans if span.started_at is not None), default=None)
    return {
        "ok": True,
        "trace_id": trace.header.trace_id,
        "name": trace.header.name,
        "format": trace.format,
        "started_at": started,
        "models": sorted(models),
        "steps": steps,
        "findings": [
            {"step": f.step, "pattern": f.pattern, "severity": f.severity, "title": f.title} for f in findings
        ],
        "final_answer": final_answer(trace, facts.views) is not None,
        "problems": len(trace.problems),
    }


def summarize_many(paths: list[str]) -> list[dict[str, Any]]:
    """``summarize`` over a batch (one task per batch keeps process-pool overhead low)."""
    return [summarize(path) for path in paths]


__all__ = ["MAX_STEP_TEXT", "SUMMARY_VERSION", "summarize", "summarize_many"]
