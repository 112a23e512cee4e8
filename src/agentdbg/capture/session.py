"""One open trace file being recorded: header, crash-safe writes that never raise, tool-call bookkeeping.

A session is chosen per recorded step: the ``trace()`` in the current context,
else the innermost ``trace()`` still open anywhere in the process (threads that
did not carry the context still land in the right file), else an automatic
session under ``$AGENTDBG_DIR`` opened on first use.
"""

from __future__ import annotations

import atexit
import contextvars
import os
import re
import sys
import threading
import time
import uuid
from collections import OrderedDict, deque
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import orjson

from agentdbg.capture import playback
from agentdbg.capture.otel import mirror_record, mirroring
from agentdbg.capture.redact import Redactor, clean_and_encode
from agentdbg.errors import TraceFileBusyError
from agentdbg.model.derived_tools import ToolCallLedger, trailing_items
from agentdbg.model.records import TraceHeader
from agentdbg.store import TraceWriter
from agentdbg.store.body_prefix import Extension, SentBody

DEFAULT_DIR = "traces"
_PENDING_TOOL_CALLS = 256
_TAILS_KEPT = 16  # requests whose trailing items are kept for the next request's derived tool steps
_TAIL_MAX = 64  # a longer tail is not kept (the request is then read whole when a tool result is due)


def capture_disabled() -> bool:
    """True when ``AGENTDBG_DISABLED`` is set to a true value (checked at each call)."""
    return os.environ.get("AGENTDBG_DISABLED", "").strip().lower() in ("1", "true", "yes", "on")


def default_trace_path(name: str, trace_id: str) -> Path:
    """``$AGENTDBG_DIR/<name>-<UTC time>-<id>.jsonl`` (``$AGENTDBG_DIR`` defaults to ``./traces``)."""
    directory = Path(os.environ.get("AGENTDBG_DIR") or DEFAULT_DIR)
    safe_name = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "run"
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return directory / f"{safe_name[:60]}-{stamp}-{trace_id[:8]}.jsonl"


def program_command() -> dict[str, Any]:
    """The command line and working directory of this program, for the trace header (``replay -- ...`` reuses them)."""
    try:
        cwd = os.getcwd()
    except OSError:
        cwd = None
    return {"argv": [str(arg) for arg in sys.argv], "executable": sys.executable, "cwd": cwd}


def _args_key(arguments: Any) -> bytes:
    try:
        return orjson.dumps(arguments, default=str, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    except TypeError:
        return repr(arguments).encode()


class TraceSession:
    """An open trace file. ``write`` never raises: a failure warns once on stderr and recording goes on trying."""

    def __init__(
        self,
        name: str,
        path: str | os.PathLike[str] | None = None,
        metadata: dict[str, Any] | None = None,
        redact: Redactor | None = None,
    ) -> None:
        self.trace_id = uuid.uuid4().hex
        self.name = name
        self.replaying = playback.player()  # code-level replay: the run goes to the fork file instead
        if self.replaying is not None:
            path = self.replaying.trace_path(path)
        self.path = Path(path) if path is not None else default_trace_path(name, self.trace_id)
        overwrite = path is not None  # a chosen path holds this run only; default names are unique anyway
        self.metadata = dict(metadata or {})
        self.redact = redact
        self.started_at = time.time()
        self.closed = False
        self._warned = False
        self._lock = threading.Lock()
        self._pending_calls: deque[tuple[str, bytes, str]] = deque(maxlen=_PENDING_TOOL_CALLS)
        self._tool_ledger = ToolCallLedger()  # framework tools rebuilt from the conversation
        self._tails: OrderedDict[str, list[Any] | None] = OrderedDict()  # span id -> its request's tail
        self._open_finalizers: dict[int, Any] = {}
        self._writer: TraceWriter | None = None
        try:
            self._writer = self._open_writer(overwrite)
        except Exception as exc:  # noqa: BLE001 - recording must never break the program it records
            self.warn_once(f"cannot open trace file {self.path}: {exc}")
        extra: dict[str, Any] = {"command": program_command()}  # header fields beyond the schema's own
        if self.replaying is not None:
            extra.update(self.replaying.header_fields())
        header = TraceHeader(
            trace_id=self.trace_id, name=name, started_at=self.started_at, metadata=self.metadata, **extra
        )
        self.write(header.model_dump(mode="json", exclude_none=True))

    def _open_writer(self, overwrite: bool) -> TraceWriter:
        """The writer; when another process is recording to the same path, a sibling file (said once)."""
        try:
            return TraceWriter(self.path, overwrite=overwrite)
        except TraceFileBusyError:
            busy = self.path
            self.path = busy.with_name(f"{busy.stem}.{os.getpid()}-{self.trace_id[:8]}{busy.suffix}")
            writer = TraceWriter(self.path, overwrite=overwrite)
            self.warn_once(f"{busy} is being recorded by another process; this run is written to {self.path}")
            return writer

    def warn_once(self, message: str) -> None:
        """Tell the user once, on stderr, that recording is failing; the program goes on."""
        with self._lock:
            if self._warned:
                return
            self._warned = True
        try:
            sys.stderr.write(
                f"agentdbg: {message} (recording continues best-effort; your program is unaffected)\n"
            )
            sys.stderr.flush()
        except (OSError, ValueError):
            pass  # stderr itself is gone: nowhere left to warn

    def write(
        self,
        record: dict[str, Any],
        *,
        sent: SentBody | None = None,
        before: list[dict[str, Any]] | None = None,
    ) -> None:
        """Write one record as one line (secrets masked); never raises. ``sent``: see ``TraceWriter.write``.

        ``before``: records (not llm starts) written just ahead of it, in the same ``write()``.
        """
        if self._writer is None:
            return
        written = []
        try:
            lines = []
            for step in before or ():
                cleaned, encoded = clean_and_encode(step, self.redact)
                lines.append(TraceWriter.line(cleaned, encoded=encoded, clean=encoded is not None))
                written.append(cleaned)
            cleaned, encoded = clean_and_encode(record, self.redact)
            self._writer.write(
                cleaned, encoded=encoded, sent=sent, clean=encoded is not None, before=tuple(lines)
            )
        except Exception as exc:  # noqa: BLE001 - a full disk or removed file must not crash the agent
            self.warn_once(f"cannot write trace {self.path}: {exc}")
            return
        written.append(cleaned)
        for cleaned in written:  # to an OpenTelemetry TracerProvider, when enable_otel() was called
            mirror_record(cleaned, self.trace_id)

    def find_extension(self, body: bytes) -> Extension | None:
        """How an llm request body extends one already written here (``None``: read it whole); never raises."""
        writer = self._writer
        if writer is None or not body or mirroring():  # a mirror is sent whole requests
            return None
        try:
            return writer.find_extension(body)
        except Exception as exc:  # noqa: BLE001 - the request is then read whole, as before
            self.warn_once(f"internal capture error ({type(exc).__name__}: {exc})")
            return None

    @property
    def waiting_for_tool_results(self) -> bool:
        """True while a tool call an answer asked for has no result yet (see ``derive_tool_steps``)."""
        return bool(self._tool_ledger.waiting)

    def next_tail(self, items: list[Any], base_id: str | None = None) -> list[Any] | None:
        """The trailing items (last assistant item on) of a request's list, where its tool results sit.

        ``base_id``: the written request ``items`` were appended to (``None``: ``items`` is the whole
        list). ``None`` when not known from what is kept (the request is then read whole if needed).
        """
        if base_id is None:
            window = items[-_TAIL_MAX:]
            tail: list[Any] | None = trailing_items(window)
            if len(window) < len(items) and len(tail or ()) == len(window):
                tail = None  # no assistant item in the window: the tail may start earlier
        else:
            with self._lock:
                base_tail = self._tails.get(base_id)
            if base_tail is not None:
                tail = trailing_items([*base_tail, *items])
            else:
                tail = trailing_items(items)
                if len(tail) == len(items):
                    tail = None  # the tail may start before the appended items
        return tail if tail is None or len(tail) <= _TAIL_MAX else None

    def keep_tail(self, span_id: str, tail: list[Any] | None) -> None:
        """Remember a written request's tail (``next_tail``) for the request that extends it."""
        with self._lock:
            self._tails[span_id] = tail
            while len(self._tails) > _TAILS_KEPT:
                self._tails.popitem(last=False)

    def offer_tool_calls(
        self, calls: list[tuple[str, Any, str]], parent_id: str | None = None, asked_by: str | None = None
    ) -> None:
        """Remember the tool calls an LLM answer asked for, so tool steps can find their ``call_id``.

        A call no decorated tool claims becomes a derived tool step once a later request carries its result.
        """
        with self._lock:
            for name, arguments, call_id in calls:
                self._pending_calls.append((name, _args_key(arguments), call_id))
            self._tool_ledger.asked(calls, parent_id=parent_id, asked_at=time.time(), asked_by=asked_by)

    def derive_tool_steps(self, api: str, request: Any, answered_at: float) -> None:
        """Write a derived tool step for each open call whose result ``request`` carries (before its llm step)."""
        for record in self.derived_tool_steps(api, request, answered_at):
            self.write(record)

    def derived_tool_steps(self, api: str, request: Any, answered_at: float) -> list[dict[str, Any]]:
        """The records ``derive_tool_steps`` writes, for the caller to write ahead of its llm step (``write(before=)``)."""
        with self._lock:
            if not self._tool_ledger.waiting:
                return []
            derived = self._tool_ledger.answered(api, request, answered_at)
        records = []
        for tool in derived:
            record = tool.record(os.urandom(8).hex())
            if self.replaying is not None:  # code-level replay: every step says where it came from
                record["origin"] = self.replaying.phase_origin()
            records.append(record)
        return records

    def claim_tool_call(self, name: str, candidates: list[Any]) -> str | None:
        """The newest unclaimed call of tool ``name`` whose arguments equal one of ``candidates``.

        Falls back to the newest unclaimed call of that name when exactly one exists.
        """
        keys = {_args_key(c) for c in candidates}
        with self._lock:
            same_name = [entry for entry in reversed(self._pending_calls) if entry[0] == name]
            match = next((entry for entry in same_name if entry[1] in keys), None)
            if match is None and len(same_name) == 1:
                match = same_name[0]
            if match is None:
                self._tool_ledger.ran(None, name)
                return None
            self._pending_calls.remove(match)
            self._tool_ledger.ran(match[2])
            return match[2]

    def track(self, key: int, finalizer: Any) -> None:
        """Keep a callable that ends an in-flight step if the trace closes first (e.g. an abandoned stream)."""
        with self._lock:
            self._open_finalizers[key] = finalizer

    def untrack(self, key: int) -> None:
        with self._lock:
            self._open_finalizers.pop(key, None)

    def close(self) -> None:
        """End steps still in flight, then close the file."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
            finalizers = list(self._open_finalizers.values())
            self._open_finalizers.clear()
        for finalize in finalizers:
            finalize()
        if self._writer is not None:
            try:
                self._writer.close()
            except OSError as exc:
                self.warn_once(f"cannot close trace {self.path}: {exc}")


CURRENT_SESSION: contextvars.ContextVar[TraceSession | None] = contextvars.ContextVar(
    "agentdbg_session", default=None
)
_open_sessions: list[TraceSession] = []
_auto_session: TraceSession | None = None
_registry_lock = threading.Lock()


def push_session(session: TraceSession) -> None:
    with _registry_lock:
        _open_sessions.append(session)


def pop_session(session: TraceSession) -> None:
    with _registry_lock:
        if session in _open_sessions:
            _open_sessions.remove(session)


def active_session() -> TraceSession:
    """The session a step recorded now belongs to (opening the automatic one if needed)."""
    global _auto_session
    session = CURRENT_SESSION.get()
    if session is not None and not session.closed:
        return session
    with _registry_lock:
        if _open_sessions:
            return _open_sessions[-1]
        if _auto_session is None or _auto_session.closed:
            script = Path(sys.argv[0]).stem if sys.argv and sys.argv[0] not in ("", "-c") else "run"
            _auto_session = TraceSession(script or "run")
            atexit.register(_auto_session.close)
        return _auto_session
