"""How much time does code-level replay add per served step, beyond the program's own work?

A program making N chat calls (plain, and ``stream=True``) through a wrapped OpenAI client is
recorded against the local FakeLLMServer, then run three ways, all without the network:

- baseline: the bare SDK over an httpx ``MockTransport`` answering the same recorded bytes
  (what the SDK itself costs: building the request, parsing the answer);
- playback: the wrapped client inside ``agentdbg.replaying()``: each request is matched against
  the next recorded step, answered from the record (a synthesised SSE body for streams) and
  recorded into the fork file.

- recording: the wrapped client over the same MockTransport inside ``trace()`` (what capture
  costs any recorded run; a replayed program records its fork the same way).

Overhead per served step = (playback − baseline) / N; the player's own part (matching the
request and building the answer) is measured alone too. Goal: under 1 ms.

    python bench/playback_overhead.py           # full
    python bench/playback_overhead.py --quick   # smaller runs
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent / "src"))

import httpx2 as httpx  # noqa: E402  (the SDKs' httpx)
import openai  # noqa: E402

import agentdbg  # noqa: E402
from agentdbg.store import read_trace  # noqa: E402
from agentdbg.testing.llm_server import FakeLLMServer, reply  # noqa: E402
from agentdbg.wire import openai_chat  # noqa: E402

SYSTEM = "You are a benchmark agent. " * 40  # a 1 KB system prompt, as agents have


def _messages(turn: int) -> list[dict[str, Any]]:
    """A short conversation of a fixed size, so the SDK's own work stays the same every turn."""
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"question {turn}"},
        {"role": "assistant", "content": "an earlier answer"},
        {"role": "user", "content": "and then?"},
    ]


def program(client: Any, calls: int, stream: bool) -> None:
    """The user's own work: ``calls`` requests, each answer read to the end."""
    for turn in range(calls):
        if stream:
            chunks = client.chat.completions.create(model="gpt-bench", messages=_messages(turn), stream=True)
            text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        else:
            completion = client.chat.completions.create(model="gpt-bench", messages=_messages(turn))
            text = completion.choices[0].message.content or ""
        assert text.startswith("a recorded answer"), text


def record(path: Path, calls: int, stream: bool) -> None:
    with FakeLLMServer(seed=1, default=reply("a recorded answer of a few words " * 5)) as server:
        client = agentdbg.wrap_openai(
            openai.OpenAI(base_url=server.base_url + "/v1", api_key="k", max_retries=0)
        )
        with agentdbg.trace("bench", path=path):
            program(client, calls, stream)


def mock_client(path: Path) -> Any:
    """The bare SDK answered by a MockTransport with the recorded bodies, in order."""
    outputs = [span.output for span in read_trace(path).spans if span.kind == "llm"]
    position = iter(range(10**9))

    def answer(request: Any) -> Any:
        output = outputs[next(position) % len(outputs)]
        if json.loads(request.content).get("stream"):
            return httpx.Response(
                200, headers={"content-type": "text/event-stream"}, content=openai_chat.sse_body(output)
            )
        return httpx.Response(200, json=output)

    return openai.OpenAI(
        base_url="http://bench.invalid/v1",
        api_key="k",
        max_retries=0,
        http_client=httpx.Client(transport=httpx.MockTransport(answer)),
    )


def measure(folder: Path, calls: int, stream: bool, repeats: int) -> dict[str, float]:
    """Best-of-``repeats`` ms per call of each way, run interleaved so machine load hits them alike."""
    path = folder / f"run-{calls}-{stream}.jsonl"
    record(path, calls, stream)
    bare = mock_client(path)
    recording = agentdbg.wrap_openai(mock_client(path))
    wrapped = agentdbg.wrap_openai(
        openai.OpenAI(base_url="http://127.0.0.1:9/v1", api_key="k", max_retries=0)
    )
    fork = folder / "fork.jsonl"

    def timed(run: Any) -> float:
        started = time.perf_counter()
        run()
        return time.perf_counter() - started

    def captured() -> float:
        with agentdbg.trace("bench", path=folder / "captured.jsonl"):
            return timed(lambda: program(recording, calls, stream))

    def played() -> float:
        replay = agentdbg.replaying(path, out=fork)  # loading the trace is once per run, not per step
        with replay, agentdbg.trace("bench", path=fork):
            seconds = timed(lambda: program(wrapped, calls, stream))
        assert replay.served == calls and replay.live == 0, (replay.served, replay.live)
        return seconds

    ways = {
        "baseline": lambda: timed(lambda: program(bare, calls, stream)),
        "capture": captured,
        "playback": played,
    }
    best = {name: float("inf") for name in ways}
    for _ in range(repeats):
        for name, way in ways.items():
            best[name] = min(best[name], way())
    per_call = {name: seconds * 1000 / calls for name, seconds in best.items()}
    per_call["overhead"] = per_call["playback"] - per_call["baseline"]
    per_call["decide"] = decide_ms(path, repeats)
    return per_call


def decide_ms(path: Path, repeats: int) -> float:
    """The player alone: match each recorded request and build its answer (JSON or SSE), ms per step."""
    from agentdbg.replay.player import ForkSpec, Player

    trace = read_trace(path)
    requests = [span.input["request"] for span in trace.spans if span.kind == "llm"]
    best = float("inf")
    for _ in range(repeats):
        player = Player(ForkSpec(trace=str(path), exit_on_stop=False), trace)
        started = time.perf_counter()
        for request in requests:
            assert player.llm_request("openai", "chat.completions", request).answer is not None
        best = min(best, time.perf_counter() - started)
    return best * 1000 / len(requests)


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Rows ``{name, value, unit, goal, baseline}`` for bench/run.py."""
    calls, repeats = (20, 3) if quick else (100, 5)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for stream in (False, True):
            figures = measure(Path(tmp), calls, stream, repeats)
            rows.append(
                {
                    "name": f"code-level replay overhead per served step ({'stream=True' if stream else 'plain'}, {calls} calls)",
                    "value": round(figures["overhead"], 3),
                    "unit": "ms/step",
                    "goal": "< 1",
                    "baseline": f"bare SDK over MockTransport {figures['baseline']:.2f} ms/call; "
                    f"recording only {figures['capture']:.2f}; served {figures['playback']:.2f}; "
                    f"the player's match + answer alone {figures['decide']:.3f}",
                }
            )
    return rows


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(f"{row['name']}: {row['value']} {row['unit']} (goal {row['goal']}; {row['baseline']})")
