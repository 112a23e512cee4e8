"""The player of code-level replay: which recorded answer each request of the user's own program gets.

Before the fork every LLM request is matched against the next recorded llm step
(``divergence.request_difference`` decides whether it is the same request) and answered
from the record; ``@tool`` calls return their recorded result (``tools="recorded"``). At the
fork the patch edits the outgoing request (llm step) or replaces the tool's result (tool
step). After the fork, or after a divergence let through with ``on_divergence="live"``,
everything is live. ``agentdbg.capture.playback`` asks it; it never touches the network.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import orjson

from agentdbg.capture.playback import Decision, ToolDecision
from agentdbg.model.apis import api_key
from agentdbg.model.span import Span
from agentdbg.model.trace import Trace
from agentdbg.replay.divergence import describe, request_difference
from agentdbg.replay.document import document_request, request_document, span_api, tool_document
from agentdbg.replay.errors import ReplayInputError
from agentdbg.replay.patches import apply_any
from agentdbg.replay.tools import canonical_arguments

OnDivergence = Literal["stop", "live", "serve"]
ToolsPolicy = Literal["recorded", "live"]
STOP_EXIT_CODE = 5
_STREAM_KEYS = ("stream", "stream_options")


@dataclass
class ForkSpec:
    """Everything a replayed program needs to know, passed to it as a JSON file (``$AGENTDBG_REPLAY``)."""

    trace: str
    from_step: str | None = None  # None: no fork, every request is answered from the record (pytest)
    patch: Any = None
    out: str | None = None
    on_divergence: OnDivergence = "stop"
    tools: ToolsPolicy = "recorded"
    base_url: str | None = None
    report: str | None = None  # where the program writes what happened, for the CLI's summary
    exit_on_stop: bool = (
        True  # a program run by the CLI ends at a stopping divergence; in-process code gets a 400
    )
    record: bool = (
        False  # re-record: every request live, the run written to ``trace`` (pytest --agentdbg-record)
    )

    def write(self, path: str | os.PathLike[str]) -> None:
        Path(path).write_text(json.dumps(asdict(self), ensure_ascii=False), encoding="utf-8")


@dataclass
class Divergence:
    """A request that differs from its recorded step (or has none)."""

    request: int
    step: str | None
    text: str
    fields: list[str] = field(default_factory=list)


def answer_for(api: str, span: Span, request: Any) -> tuple[int, str, bytes]:
    """The HTTP answer recorded for ``span``, as a stream when ``request`` asks for one."""
    output = span.output
    if not isinstance(output, dict):
        error = span.error
        status = (error.status_code if error is not None else None) or 500
        body = error.body if error is not None and error.body is not None else None
        if body is None:
            message = error.message if error is not None else "the recorded step has no answer"
            body = {"type": "error", "error": {"type": "recorded_error", "message": message}}
        return status, "application/json", orjson.dumps(body)
    if isinstance(request, dict) and request.get("stream"):
        from agentdbg.wire import codec

        found = codec(api)
        if found is not None:
            return 200, "text/event-stream", found.sse_body(output)
    return 200, "application/json", orjson.dumps(output)


class Player:
    """Decides, request by request and tool call by tool call, between the record and live (thread-safe)."""

    def __init__(self, spec: ForkSpec, trace: Trace | None) -> None:
        """``trace`` may be ``None`` only when re-recording (``spec.record``): nothing is served then."""
        self.spec = spec
        self.trace = trace
        spans = trace.spans if trace is not None else []
        self.llm_steps = [span for span in spans if span.kind == "llm"]
        self.tool_steps = [span for span in spans if span.kind == "tool"]
        self.fork: Span | None = None
        if spec.from_step is not None and trace is not None and not spec.record:
            from agentdbg.replay.selectors import select_step

            self.fork = select_step(trace, spec.from_step)
            if self.fork.kind not in ("llm", "tool"):
                raise ReplayInputError(
                    f"{self.fork.address} is a {self.fork.kind} step; code-level replay forks at an llm or a tool step"
                )
            from agentdbg.replay.document import step_document

            apply_any(step_document(trace, self.fork), spec.patch)  # a bad patch fails before anything runs
        self.live = spec.record
        self.next_llm = 0
        self.used_tools: set[str] = set()
        self.requests = self.served = self.sent_live = self.patched = 0
        self.tools_served = self.tools_live = 0
        self.divergences: list[Divergence] = []
        self.stopped_at: Divergence | None = None
        self.fork_reached = False
        self._paths_given = 0
        self._lock = threading.Lock()

    # --- capture.playback.Player ---
    def phase_origin(self) -> str:
        return "live" if self.live else "recorded"

    def trace_path(self, requested: str | os.PathLike[str] | None) -> str | None:
        """Every ``trace()`` of the program writes to the fork file (a second one to ``fork.2.jsonl``...)."""
        target = self.spec.trace if self.spec.record else self.spec.out
        if target is None:
            return str(requested) if requested is not None else None
        with self._lock:
            self._paths_given += 1
            number = self._paths_given
        if number == 1:
            return target
        stem = target[: -len(".jsonl")] if target.endswith(".jsonl") else target
        return f"{stem}.{number}.jsonl"

    def header_fields(self) -> dict[str, Any]:
        if self.spec.record or self.trace is None:
            return {}
        return {
            "fork_of": {
                "trace_id": self.trace.header.trace_id,
                "source": self.trace.source,
                "step": self.fork.address if self.fork is not None else None,
                "patch": self.spec.patch,
            },
            "replay_engine": "program",
        }

    def llm_request(self, provider: str, api: str, request: Any) -> Decision:
        sent_api = api_key(provider, api)
        with self._lock:
            self.requests += 1
            number = self.requests
            if self.live:
                self.sent_live += 1
                return Decision("live", base_url=self.spec.base_url)
            if self.next_llm >= len(self.llm_steps):
                return self._diverge(
                    Divergence(
                        number,
                        None,
                        f"no recorded answer for request {number} (the trace has {len(self.llm_steps)})",
                    ),
                    None,
                    request,
                )
            recorded = self.llm_steps[self.next_llm]
            self.next_llm += 1
            if self.fork is not None and recorded.step >= self.fork.step:
                self.live = self.fork_reached = True
                if recorded is self.fork:
                    self.patched += 1
                    return Decision(
                        "patched", send_request=self._patched(sent_api, request), base_url=self.spec.base_url
                    )
                self.sent_live += 1
                return Decision("live", base_url=self.spec.base_url)
            data = recorded.input if isinstance(recorded.input, dict) else {}
            differences = request_difference(
                data.get("request"), request, api=span_api(recorded), sent_api=sent_api
            )
            if not differences:
                self.served += 1
                return Decision("recorded", answer=answer_for(sent_api, recorded, request))
            text = f"request {number} differs from the recorded {recorded.address}:\n{describe(differences)}"
            divergence = Divergence(number, recorded.address, text, [d.label for d in differences])
            return self._diverge(divergence, recorded, request)

    def _diverge(self, divergence: Divergence, recorded: Span | None, request: Any) -> Decision:
        self.divergences.append(divergence)
        policy = self.spec.on_divergence
        if policy == "serve" and recorded is not None:
            self.served += 1
            return Decision(
                "recorded", answer=answer_for(span_api(recorded), recorded, request), diverged=divergence.text
            )
        if policy == "stop":
            self.stopped_at = divergence
            return Decision("live", diverged=divergence.text, stop=True)
        self.live = True
        self.sent_live += 1
        return Decision("live", base_url=self.spec.base_url, diverged=divergence.text)

    def _patched(self, api: str, request: Any) -> dict[str, Any]:
        """The program's own request at the fork, with the patch applied to its document."""
        if not isinstance(request, dict):
            return request
        document = apply_any(request_document(api, request), self.spec.patch)
        patched = document_request(api, document, request)
        for key in _STREAM_KEYS:  # the SDK parses what it asked for: keep its stream switch
            if key in request:
                patched[key] = request[key]
        return patched

    def tool_call(self, name: str, arguments: dict[str, Any]) -> ToolDecision | None:
        with self._lock:
            if self.live:
                self.tools_live += 1
                return ToolDecision("live", run=True)
            recorded = self._recorded_tool(name, arguments)
            if recorded is None:
                self.tools_live += 1
                return ToolDecision("live", run=True, notes={"replay_unmatched": True})
            self.used_tools.add(recorded.id)
            if self.fork is not None and recorded is self.fork:
                self.live = self.fork_reached = True
                document = apply_any(tool_document(recorded), self.spec.patch)
                return ToolDecision("patched", run=False, value=document.get("result"))
            if self.spec.tools == "live":
                self.tools_live += 1
                return ToolDecision("live", run=True)
            self.tools_served += 1
            error = recorded.error.model_dump(exclude_none=True) if recorded.error is not None else None
            return ToolDecision("recorded", run=False, value=recorded.output, error=error)

    def _recorded_tool(self, name: str, arguments: dict[str, Any]) -> Span | None:
        """The first unused recorded call of ``name`` with equal arguments (else of ``name`` alone), before the fork."""
        limit = self.fork.step if self.fork is not None else None
        candidates = [
            span
            for span in self.tool_steps
            if span.id not in self.used_tools
            and span.tool is not None
            and span.tool.name == name
            and (limit is None or span.step <= limit)
        ]
        wanted = canonical_arguments(arguments)
        same = next(
            (s for s in candidates if s.tool and canonical_arguments(s.tool.arguments) == wanted), None
        )
        return same or next(iter(candidates), None)

    def stopped(self, decision: Decision, session: Any) -> None:
        """A stopping divergence: say where and what differs, then end a CLI-run program with exit 5."""
        if not self.spec.exit_on_stop:
            return
        sys.stderr.write(
            f"agentdbg replay: {decision.diverged}\n"
            "stopped (exit 5): --on-divergence live sends it to the model, serve answers it from the record\n"
        )
        sys.stderr.flush()
        from agentdbg.capture.llm import CURRENT_CALL

        call = CURRENT_CALL.get()
        if call is not None and call.span is not None:
            session.untrack(id(call))
            call.span.end(error={"type": "ReplayDivergence", "message": decision.diverged or ""})
        from agentdbg.capture import session as sessions

        for open_session in list(sessions._open_sessions):
            open_session.close()
        self.write_report()
        os._exit(STOP_EXIT_CODE)

    # --- what happened ---
    def counts(self) -> dict[str, int]:
        return {
            "requests": self.requests,
            "served": self.served,
            "live": self.sent_live,
            "patched": self.patched,
            "tools_served": self.tools_served,
            "tools_live": self.tools_live,
        }

    def report(self) -> dict[str, Any]:
        return {
            **self.counts(),
            "fork_reached": self.fork_reached,
            "divergences": [asdict(d) for d in self.divergences],
            "stopped": asdict(self.stopped_at) if self.stopped_at is not None else None,
        }

    def write_report(self) -> None:
        if self.spec.report:
            try:
                Path(self.spec.report).write_text(json.dumps(self.report()), encoding="utf-8")
            except OSError as exc:
                sys.stderr.write(
                    f"agentdbg replay: cannot write the replay report {self.spec.report}: {exc}\n"
                )


def player_from_spec_file(path: str) -> Player:
    """The player a program started by ``agentdbg replay ... --`` runs with (its report written at exit)."""
    import atexit

    from agentdbg.replay.engine import load_source

    spec = ForkSpec(**json.loads(Path(path).read_text(encoding="utf-8")))
    player = Player(spec, load_source(spec.trace))
    atexit.register(player.write_report)
    return player


__all__ = ["STOP_EXIT_CODE", "Divergence", "ForkSpec", "Player", "answer_for", "player_from_spec_file"]
