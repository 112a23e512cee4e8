"""The pytest plugin (entry point ``pytest11``): a recorded trace as an offline regression test.

    @pytest.mark.agentdbg_replay("tests/traces/refund-bug.jsonl")
    def test_refund_agent():
        assert run_agent("refund order 42") == "Refund issued"

Inside the test every LLM call of a wrapped or instrumented client is answered from the
trace, offline, with no key; ``@agentdbg.tool`` functions return their recorded results
(``tools="live"`` runs them). A request that differs from the recorded one fails the test
with the difference; a request past the end fails with "no recorded answer for request N".
``pytest --agentdbg-record`` runs the marked tests live and writes the trace again. The
``agentdbg_replay`` fixture does the same from code and counts what was served.

Loaded by every pytest run where agentdbg is installed, so it imports nothing heavy until a
test uses it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

_PLACEHOLDER_KEYS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("agentdbg")
    group.addoption(
        "--agentdbg-record",
        action="store_true",
        default=False,
        help="agentdbg: run tests marked agentdbg_replay live and write their trace files again (keys needed).",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "agentdbg_replay(trace, tools='recorded'): answer every LLM call of the test from the recorded trace "
        "(offline); a request that differs from the record fails the test with the difference.",
    )


def _trace_path(config: pytest.Config, test_file: Path | None, trace: str | os.PathLike[str]) -> Path:
    """``trace`` as given when absolute, else relative to the rootdir, else to the test's folder."""
    path = Path(trace)
    if path.is_absolute():
        return path
    candidates = [config.rootpath / path] + ([test_file.parent / path] if test_file is not None else [])
    return next((candidate for candidate in candidates if candidate.exists()), candidates[0])


@contextmanager
def _placeholder_keys() -> Iterator[None]:
    """SDK clients refuse to be built without a key; served requests never leave, so any value does."""
    added = [name for name in _PLACEHOLDER_KEYS if not os.environ.get(name)]
    for name in added:
        os.environ[name] = "agentdbg-replay-no-key"
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


class ReplaySession:
    """One trace served to one test: the counts tests assert on, and the failure to report."""

    def __init__(self, trace: Path, *, record: bool, tools: str, tmp_dir: Path) -> None:
        from agentdbg.replay.inline import Replaying
        from agentdbg.replay.player import ForkSpec

        self.trace, self.record, self.tmp_dir = trace, record, tmp_dir
        self.replayed = tmp_dir / f"{trace.stem}.replayed.jsonl"
        spec = ForkSpec(
            trace=str(trace),
            out=str(self.replayed),
            tools="live" if record else tools,  # type: ignore[arg-type]
            exit_on_stop=False,
            record=record,
        )
        if record:
            trace.parent.mkdir(parents=True, exist_ok=True)
            self._replaying = Replaying(None, spec)
        else:
            from agentdbg.errors import AgentdbgError
            from agentdbg.replay.engine import load_source

            try:
                source = load_source(trace)
            except AgentdbgError as exc:
                pytest.fail(f"agentdbg_replay: cannot read {trace}: {exc}", pytrace=False)
            self._replaying = Replaying(source, spec)
        self._keys = _placeholder_keys()

    @property
    def served(self) -> int:
        """LLM requests answered from the trace."""
        return self._replaying.served

    @property
    def live(self) -> int:
        """LLM requests sent to a model (only with ``--agentdbg-record``)."""
        return self._replaying.live

    @property
    def tools_served(self) -> int:
        return self._replaying.tools_served

    def failure(self) -> str | None:
        """The first request that had no matching recorded answer, as the test's failure message."""
        stopped = self._replaying.player.stopped_at
        if stopped is None:
            return None
        where = f"\n(the replayed run: {self.replayed})" if self.replayed.exists() else ""
        return f"agentdbg_replay({self.trace.name}): {stopped.text}{where}"

    def __enter__(self) -> ReplaySession:
        if not self.record:
            self._keys.__enter__()
        self._replaying.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._replaying.stop()  # also closes an automatic session the test opened (no trace() call)
        if not self.record:
            self._keys.__exit__(None, None, None)
        failure = self.failure()
        if failure is not None:
            pytest.fail(failure, pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    marker = item.get_closest_marker("agentdbg_replay")
    if marker is None:
        return (yield)
    if not marker.args:
        raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.agentdbg_replay needs the trace path")
    import tempfile

    trace = _trace_path(item.config, Path(str(item.fspath)), marker.args[0])
    session = ReplaySession(
        trace,
        record=bool(item.config.getoption("--agentdbg-record")),
        tools=str(marker.kwargs.get("tools", "recorded")),
        tmp_dir=Path(tempfile.mkdtemp(prefix="agentdbg-replay-")),
    )
    with session:
        try:
            result = yield
        except Exception:
            failure = session.failure()
            if failure is not None:  # the SDK error the program saw came from the divergence: report that
                pytest.fail(failure, pytrace=False)
            raise
    shutil.rmtree(session.tmp_dir, ignore_errors=True)  # kept only when the test failed, to look at
    return result


@pytest.fixture
def agentdbg_replay(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., ReplaySession]:
    """``with agentdbg_replay("trace.jsonl") as replay: ...``; then ``replay.served``, ``replay.live``."""

    def open_replay(trace: str | os.PathLike[str], *, tools: str = "recorded") -> ReplaySession:
        path = _trace_path(request.config, Path(str(request.node.fspath)), trace)
        return ReplaySession(
            path,
            record=bool(request.config.getoption("--agentdbg-record")),
            tools=tools,
            tmp_dir=tmp_path_factory.mktemp("agentdbg-replay"),
        )

    return open_replay
