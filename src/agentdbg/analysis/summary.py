"""A small, JSON-ready summary of one trace file: what ``search`` matches against and caches.

Each step keeps its kind, name, tools, error, model and searchable text (only
the messages it adds, so a long conversation is not stored once per step). The
summary streams: our own format past ``EAGER_MAX_BYTES`` is read through the index (``diagnose`` makes its
pass, then the step records are built in a second one, each step parsed and
dropped, views through one ``ViewMemo``), and step records past ``SPILL_CHARS``
of text go to a steps file (JSON lines) instead of memory, so summarising a
100k-step trace holds one step, not the whole run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from agentdbg.analysis.call_records import digest
from agentdbg.analysis.calls import canonical, final_answer, gc_paused, tool_view
from agentdbg.analysis.detectors.truncation import message_key
from agentdbg.analysis.diagnose import diagnose
from agentdbg.errors import AgentdbgError, NotATraceError
from agentdbg.model.messages import Message
from agentdbg.model.span import Span
from agentdbg.model.view_memo import ViewMemo
from agentdbg.model.views import LLMView
from agentdbg.store import read_indexed, read_trace

SUMMARY_VERSION = 2  # 2: large runs keep their steps in a steps file ("steps_file")
MAX_STEP_TEXT = 8_000
SPILL_CHARS = 1 << 20  # step text held in memory before the steps go to a file
KEYS_HELD = 4096  # message keys kept by message object
EAGER_MAX_BYTES = 1 << 20  # a native trace smaller than this is read whole


def _step_text(
    span: Span, view: LLMView | None, seen: set[bytes], key_of: Callable[[Message], bytes]
) -> tuple[str, list[str], str | None]:
    """(searchable text, tools called or run, model) of one step; ``seen``: keys of the messages shown."""
    parts: list[str] = [span.name]
    tools: list[str] = []
    model = None
    if view is not None:
        model = view.model
        for message in view.prompt:
            key = key_of(message)
            if key not in seen:
                seen.add(key)
                parts.append(message.text)
        for message in view.answer:
            seen.add(key_of(message))
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


class _StepRecords:
    """The step records of one summary, fed a step at a time: in memory, or past ``SPILL_CHARS`` of
    text in a steps file under ``spill_dir`` (none given: always in memory)."""

    def __init__(self, spill_dir: Path | None) -> None:
        self.spill_dir = spill_dir
        self.records: list[dict[str, Any]] = []
        self.chars = 0
        self.file: Path | None = None
        self._out: IO[bytes] | None = None
        self.seen: set[bytes] = set()
        self.models: set[str] = set()
        self.first_start: float | None = None
        self._keys: dict[int, tuple[Message, bytes]] = {}

    def _key(self, message: Message) -> bytes:
        """The digest of ``message_key(message)``, kept per message object: the view memo hands every step
        that re-sends a message the same object, so a long history is keyed once, not once per step."""
        held = self._keys.get(id(message))
        if held is not None and held[0] is message:
            return held[1]
        if len(self._keys) >= KEYS_HELD:
            self._keys.clear()
        key = digest(message_key(message))
        self._keys[id(message)] = (message, key)
        return key

    def step(self, span: Span, view: LLMView | None) -> None:
        text, tools, model = _step_text(span, view, self.seen, self._key)
        if model:
            self.models.add(model)
        if span.started_at is not None and (self.first_start is None or span.started_at < self.first_start):
            self.first_start = span.started_at
        record = {
            "n": span.step,
            "kind": span.kind,
            "name": span.name,
            "tools": tools,
            "model": model,
            "status": span.status,
            "error": f"{span.error.type}: {span.error.message}"[:300] if span.error else None,
            "text": text,
        }
        if self._out is not None:
            self._out.write(orjson.dumps(record) + b"\n")
            return
        self.records.append(record)
        self.chars += len(text)
        if self.chars > SPILL_CHARS and self.spill_dir is not None:
            self._spill(self.spill_dir)

    def _spill(self, directory: Path) -> None:
        try:
            directory.mkdir(parents=True, exist_ok=True)
            path = directory / f"{uuid.uuid4().hex}.jsonl"
            out = path.open("wb")
        except OSError:  # an unwritable cache: the steps stay in memory
            self.spill_dir = None
            return
        self.file, self._out = path, out
        out.write(b"".join(orjson.dumps(record) + b"\n" for record in self.records))
        self.records = []

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None

    def discard(self) -> None:
        self.close()
        if self.file is not None:
            self.file.unlink(missing_ok=True)


def iter_steps(summary: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The step records of a summary, in step order, from memory or read one at a time from its steps file."""
    steps_file = summary.get("steps_file")
    if not steps_file:
        yield from summary.get("steps", [])
        return
    with open(steps_file, "rb") as lines:
        for line in lines:
            yield orjson.loads(line)


def summarize(path: str, spill_dir: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The summary of the trace at ``path``; ``{"ok": False, "error": ...}`` when it cannot be read. Never raises.

    ``spill_dir``: where a large run's steps file may go (the summary then names it as ``steps_file``
    instead of listing ``steps``); without it the steps are always listed.
    """
    from agentdbg.importers import IMPORTERS, open_trace

    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
        native = "agentdbg" in IMPORTERS and IMPORTERS["agentdbg"].sniff(head, Path(path))
        # our own files skip format detection (it costs more than reading a small trace); a small one is
        # read whole (its two passes then parse each line once), a larger one through the index
        if native:
            trace = (
                read_trace(path)
                if len(head) < 4096 or os.path.getsize(path) < EAGER_MAX_BYTES
                else read_indexed(path)
            )
        else:
            trace = open_trace(path)
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
    findings = diagnose(trace)
    steps = _StepRecords(Path(spill_dir) if spill_dir is not None else None)
    memo = ViewMemo()
    try:
        with gc_paused():  # views make no cycles
            for span in trace.spans:  # a lazy trace streams: each step parsed once, then dropped
                steps.step(span, memo.view(span))
    except BaseException:
        steps.discard()
        raise
    steps.close()
    started = trace.header.started_at
    if started is None:
        started = steps.first_start
    summary: dict[str, Any] = {
        "ok": True,
        "trace_id": trace.header.trace_id,
        "name": trace.header.name,
        "format": trace.format,
        "started_at": started,
        "models": sorted(steps.models),
    }
    if steps.file is not None:
        summary["steps_file"] = str(steps.file)
    else:
        summary["steps"] = steps.records
    summary.update(
        {
            "findings": [
                {"step": f.step, "pattern": f.pattern, "severity": f.severity, "title": f.title}
                for f in findings
            ],
            "final_answer": final_answer(trace) is not None,
            "problems": len(trace.problems),
        }
    )
    return summary


def summarize_many(paths: list[str], spill_dir: str | None = None) -> list[dict[str, Any]]:
    """``summarize`` over a batch (one task per batch keeps process-pool overhead low)."""
    return [summarize(path, spill_dir) for path in paths]


__all__ = ["MAX_STEP_TEXT", "SUMMARY_VERSION", "iter_steps", "summarize", "summarize_many"]
