"""The in-memory trace every feature consumes: a header plus spans in a tree."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Protocol, overload

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from agentdbg.errors import StepNotFoundError
from agentdbg.model.problems import Problem
from agentdbg.model.records import TraceHeader
from agentdbg.model.span import Span, StepSummary

_STEP_RE = re.compile(r"^(?:step-?)?(\d+)$", re.IGNORECASE)


def step_number(address: str) -> int | None:
    """``N`` of ``step-N``, ``stepN`` or ``N`` (any case, spaces around); ``None`` for anything else."""
    match = _STEP_RE.match(address.strip())
    return int(match.group(1)) if match else None


class StepStore(Protocol):
    """Where a lazily read trace gets its steps (``store.index.TraceIndex`` is one)."""

    def __len__(self) -> int: ...
    def summary(self, position: int) -> StepSummary: ...
    def load_span(self, position: int) -> Span: ...
    def read_span(self, position: int) -> Span: ...
    def iter_spans(self) -> Iterator[Span]: ...
    def position_of(self, span_id: str) -> int | None: ...
    def find(self, address: str | int) -> int: ...
    def children(self, position: int) -> list[int]: ...
    def totals(self) -> dict[str, Any]: ...
    def positions_of_kind(self, kind: str) -> list[int]: ...

    @property
    def roots(self) -> list[int]: ...


class LazySpans(Sequence[Span]):
    """The spans of a trace read on demand: indexing loads one (cached), iterating streams them all.

    A pass (``for span in trace.spans``) parses each step once and keeps none of them, so memory is
    bounded by the largest step, not by the file.
    """

    def __init__(self, store: StepStore, positions: Sequence[int] | None = None) -> None:
        self.store = store
        self.positions = positions

    def __len__(self) -> int:
        return len(self.store) if self.positions is None else len(self.positions)

    def _position(self, index: int) -> int:
        count = len(self)
        if index < 0:
            index += count
        if not 0 <= index < count:
            raise IndexError("span index out of range")
        return index if self.positions is None else self.positions[index]

    @overload
    def __getitem__(self, index: int) -> Span: ...
    @overload
    def __getitem__(self, index: slice) -> list[Span]: ...
    def __getitem__(self, index: int | slice) -> Span | list[Span]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return self.store.load_span(self._position(index))

    def __iter__(self) -> Iterator[Span]:
        if self.positions is None:  # every step: the store's pass (each line parsed once)
            yield from self.store.iter_spans()
            return
        read = self.store.read_span
        for index in range(len(self)):
            yield read(index if self.positions is None else self.positions[index])

    def __reversed__(self) -> Iterator[Span]:
        for index in reversed(range(len(self))):
            yield self[index]


class _LazyById(Mapping[str, Span]):
    def __init__(self, store: StepStore) -> None:
        self.store = store

    def __getitem__(self, span_id: str) -> Span:
        position = self.store.position_of(span_id)
        if position is None:
            raise KeyError(span_id)
        return self.store.load_span(position)

    def __contains__(self, span_id: object) -> bool:
        return isinstance(span_id, str) and self.store.position_of(span_id) is not None

    def __iter__(self) -> Iterator[str]:
        return (self.store.summary(i).id for i in range(len(self.store)))

    def __len__(self) -> int:
        return len(self.store)


class Trace(BaseModel):
    """A run: its header, its spans in start order (``spans[i].step == i + 1``) and read problems."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    header: TraceHeader
    spans: list[Span] = Field(default_factory=list)
    problems: list[Problem] = Field(default_factory=list)
    source: str | None = None
    format: str = "agentdbg"
    _by_id: dict[str, Span] | None = PrivateAttr(default=None)
    _store: StepStore | None = PrivateAttr(default=None)

    @classmethod
    def lazy(cls, header: TraceHeader, problems: list[Problem], source: str, store: StepStore) -> Trace:
        """A trace whose spans stay in ``store`` until asked for (see ``store.read_indexed``)."""
        trace = cls.model_construct(
            header=header, spans=LazySpans(store), problems=problems, source=source, format="agentdbg"
        )
        trace._store = store
        return trace

    @property
    def is_lazy(self) -> bool:
        return self._store is not None

    @property
    def by_id(self) -> Mapping[str, Span]:  # type: ignore[override]
        if self._store is not None:
            return _LazyById(self._store)
        if self._by_id is None or len(self._by_id) != len(self.spans):
            self._by_id = {span.id: span for span in self.spans}
        return self._by_id

    @property
    def roots(self) -> list[Span]:
        """Spans without a parent, in start order."""
        if self._store is not None:
            return [self._store.load_span(position) for position in self._store.roots]
        return [span for span in self.spans if span.parent_id is None]

    def rows(self) -> Iterator[tuple[StepSummary, int]]:
        """Depth-first (summary, depth) pairs in tree order: the tree without any payload."""
        store = self._store
        if store is None:
            for span, depth in self.walk():
                yield span.summary(), depth
            return
        stack = [(position, 0) for position in reversed(store.roots)]
        while stack:
            position, depth = stack.pop()
            yield store.summary(position), depth
            stack.extend((child, depth + 1) for child in reversed(store.children(position)))

    def summaries(self) -> Iterator[StepSummary]:
        """Every step's summary in start order."""
        store = self._store
        if store is None:
            yield from (span.summary() for span in self.spans)
        else:
            yield from (store.summary(position) for position in range(len(store)))

    def spans_of_kind(self, kind: str) -> Sequence[Span]:
        """The spans of one kind in start order (read on demand for a lazy trace)."""
        if self._store is not None:
            return LazySpans(self._store, self._store.positions_of_kind(kind))
        return [span for span in self.spans if span.kind == kind]

    def select(
        self, keep: Callable[[StepSummary], bool], start: int = 0, stop: int | None = None
    ) -> Sequence[Span]:
        """The spans at positions ``start`` to ``stop`` whose summary passes ``keep``, in start order; a lazy
        trace looks at summaries only and reads the chosen spans on demand (nothing is held)."""
        store = self._store
        if store is None:
            return [span for span in self.spans[start:stop] if keep(span.summary())]
        end = len(store) if stop is None else min(stop, len(store))
        return LazySpans(store, [position for position in range(start, end) if keep(store.summary(position))])

    def children_of(self, span: Span) -> list[Span]:
        by_id = self.by_id
        return [by_id[child] for child in span.children if child in by_id]

    def walk(self) -> Iterator[tuple[Span, int]]:
        """Depth-first (span, depth) pairs in tree order (a lazy trace reads each span once, keeps none)."""
        store = self._store
        if store is not None:
            positions = [(position, 0) for position in reversed(store.roots)]
            while positions:
                position, depth = positions.pop()
                yield store.read_span(position), depth
                positions.extend((child, depth + 1) for child in reversed(store.children(position)))
            return
        stack: list[tuple[Span, int]] = [(span, 0) for span in reversed(self.roots)]
        while stack:
            span, depth = stack.pop()
            yield span, depth
            stack.extend((child, depth + 1) for child in reversed(self.children_of(span)))

    def step(self, address: str | int) -> Span:
        """The span at ``step-N`` (or ``N``, or a span id).

        Raises:
            StepNotFoundError: naming the valid range.
        """
        if self._store is not None:
            return self._store.load_span(self._store.find(address))
        if isinstance(address, int):
            number: int | None = address
        else:
            number = step_number(address)
            if number is None and address in self.by_id:
                return self.by_id[address]
        if number is not None and 1 <= number <= len(self.spans):
            return self.spans[number - 1]
        valid = f"step-1 … step-{len(self.spans)}" if self.spans else "none: the trace has no steps"
        raise StepNotFoundError(f"no step {address!r} in {self.source or 'trace'}; valid steps: {valid}")

    @property
    def llm_spans(self) -> Sequence[Span]:
        return self.spans_of_kind("llm")

    @property
    def tool_spans(self) -> Sequence[Span]:
        return self.spans_of_kind("tool")

    def totals(self) -> dict[str, Any]:
        """Summary figures: steps, tokens in/out, duration, errors, incomplete steps."""
        if self._store is not None:
            return self._store.totals()
        from agentdbg.model.usage import cached_part, input_incl_cache

        tokens_in = sum(input_incl_cache(span.usage) or 0 for span in self.spans if span.usage)
        cached_in = sum(cached_part(span.usage) for span in self.spans if span.usage)
        tokens_out = sum(span.usage.output_tokens or 0 for span in self.spans if span.usage)
        starts = [span.started_at for span in self.spans if span.started_at is not None]
        ends = [span.ended_at for span in self.spans if span.ended_at is not None]
        duration = (max(ends) - min(starts)) if starts and ends else None
        return {
            "steps": len(self.spans),
            "input_tokens": tokens_in,
            "cached_input_tokens": cached_in,
            "output_tokens": tokens_out,
            "duration": duration,
            "errors": sum(1 for span in self.spans if span.status == "error"),
            "incomplete": sum(1 for span in self.spans if span.status == "incomplete"),
        }
