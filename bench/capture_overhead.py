"""What does recording cost per LLM call? Wrapped vs. unwrapped SDK clients, side by side, one run.

Both clients talk to the same local ``FakeLLMServer``, run in its own process so
it does not share the GIL with the clients; calls alternate (wrapped, unwrapped,
...) so drift in the machine's load hits both equally. The wall overhead is the
median of the paired differences (wrapped minus the unwrapped call next to it);
the CPU overhead is the same for this process's CPU time (less sensitive to a
busy machine). The unwrapped median is the baseline (HTTP + SDK parsing). The
wrapped calls write a real trace file (span_start + span_end per call).

    python bench/capture_overhead.py          # 400 pairs per case
    python bench/capture_overhead.py --quick  # 100 pairs per case
    python bench/capture_overhead.py --conversation [--full]  # only the long-conversation rows
    (--quick: step 10 and 1,000 only, 10 pairs each)

Long conversation: the cost of recording step N of one conversation (an agent loop that re-sends
its whole history every call: an assistant tool call and its result per step), at steps 10, 1,000
and 10,000 (see ``conversation_rows`` for how it is driven and why).

Figures swing by +-30% between runs on a busy shared machine: compare versions by
alternating whole runs (old, new, old, new, ...) and taking each row's median.
"""

from __future__ import annotations

import gc
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent / "src"))

import anthropic  # noqa: E402
import openai  # noqa: E402
import orjson  # noqa: E402

import agentdbg  # noqa: E402

GOAL_MS = 0.5
MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant. " * 20},
    {"role": "user", "content": "Summarise the plot of Hamlet in two sentences."},
]
ANSWER = (
    "Prince Hamlet feigns madness to avenge his father's murder by his uncle Claudius, now king. "
    "His hesitation and the deaths it causes end in a duel where nearly everyone, Hamlet included, dies."
)


def _cases(oai: Any, ant: Any) -> dict[str, Callable[[Any], None]]:
    def chat_plain(client: Any) -> None:
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)

    def chat_stream(client: Any) -> None:
        stream = client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
        for _ in stream:
            pass

    def messages_plain(client: Any) -> None:
        client.messages.create(model="claude-haiku-4-5", max_tokens=200, messages=MESSAGES[1:])

    def messages_stream(client: Any) -> None:
        with client.messages.stream(
            model="claude-haiku-4-5", max_tokens=200, messages=MESSAGES[1:]
        ) as stream:
            stream.get_final_message()

    return {
        "openai chat.completions, plain": chat_plain,
        "openai chat.completions, streamed": chat_stream,
        "anthropic messages, plain": messages_plain,
        "anthropic messages, streamed (.stream())": messages_stream,
    }


def _measure(call: Callable[[Any], None], wrapped: Any, plain: Any, pairs: int) -> dict[str, float]:
    for _ in range(20):  # warm up connections and code paths
        call(wrapped)
        call(plain)
    wrapped_ms, plain_ms, diffs, cpu_diffs = [], [], [], []
    gc.collect()
    for index in range(pairs):
        order = (wrapped, plain) if index % 2 == 0 else (plain, wrapped)
        wall, cpu = {}, {}
        for client in order:
            start, start_cpu = time.perf_counter(), time.process_time()
            call(client)
            wall[id(client)] = (time.perf_counter() - start) * 1000
            cpu[id(client)] = (time.process_time() - start_cpu) * 1000
        wrapped_ms.append(wall[id(wrapped)])
        plain_ms.append(wall[id(plain)])
        diffs.append(wall[id(wrapped)] - wall[id(plain)])
        cpu_diffs.append(cpu[id(wrapped)] - cpu[id(plain)])
    return {
        "wrapped_ms": statistics.median(wrapped_ms),
        "plain_ms": statistics.median(plain_ms),
        "overhead_ms": statistics.median(diffs),
        "cpu_overhead_ms": statistics.median(cpu_diffs),
    }


def _start_server() -> tuple[subprocess.Popen[str], str]:
    server = subprocess.Popen(
        [sys.executable, "-m", "agentdbg.testing", "--text", ANSWER],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    return server, server.stdout.readline().strip()


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Per-call capture overhead for plain and streamed calls of both SDKs, as ``{name, value, unit, goal, baseline}``."""
    pairs = 100 if quick else 400
    server, base_url = _start_server()
    try:
        rows = _run_cases(base_url, pairs)
    finally:
        server.terminate()
        server.wait(timeout=10)
    return rows + conversation_rows(quick)


def _run_cases(base_url: str, pairs: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        make_oai = lambda: openai.OpenAI(base_url=base_url + "/v1", api_key="bench")  # noqa: E731
        make_ant = lambda: anthropic.Anthropic(base_url=base_url, api_key="bench")  # noqa: E731
        plain = {"openai": make_oai(), "anthropic": make_ant()}
        wrapped = {
            "openai": agentdbg.wrap_openai(make_oai()),
            "anthropic": agentdbg.wrap_anthropic(make_ant()),
        }
        with agentdbg.trace("capture-overhead", path=Path(tmp) / "bench.jsonl") as session:
            for name, call in _cases(wrapped["openai"], wrapped["anthropic"]).items():
                provider = name.split()[0]
                figures = _measure(call, wrapped[provider], plain[provider], pairs)
                rows.append(
                    {
                        "name": f"capture overhead: {name}",
                        "value": round(figures["overhead_ms"], 3),
                        "unit": "ms/call",
                        "goal": f"< {GOAL_MS}",
                        "baseline": f"unwrapped call {figures['plain_ms']:.2f} ms (wrapped {figures['wrapped_ms']:.2f} ms)",
                    }
                )
                rows.append(
                    {
                        "name": f"capture CPU overhead: {name}",
                        "value": round(figures["cpu_overhead_ms"], 3),
                        "unit": "ms/call",
                        "goal": f"< {GOAL_MS}",
                        "baseline": "client-process CPU time, wrapped minus unwrapped",
                    }
                )
        size = session.path.stat().st_size if session is not None else 0
        calls = (pairs + 20) * len(rows) // 2
        rows.append(
            {
                "name": "trace bytes per recorded call",
                "value": round(size / calls) if calls else 0,
                "unit": "bytes/call",
                "goal": "info",
                "baseline": f"{size:,} bytes for {calls} calls",
            }
        )
    return rows


CONVERSATION_STEPS = (10, 1_000, 10_000)
_JSON: Any = {"headers": {"Content-Type": "application/json"}}


def _chat_answer(step: int) -> bytes:
    """The model's answer at ``step``: the tool call that ``_turn(step)`` then appends with its result."""
    call = _turn(step)[0]["tool_calls"][0]
    return orjson.dumps(
        {
            "id": f"c{step}",
            "object": "chat.completion",
            "created": 1,
            "model": "gpt-4o-mini",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": None, "tool_calls": [call]},
                    "finish_reason": "tool_calls",
                }
            ],
            "usage": {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12},
        }
    )


def _turn(step: int) -> list[dict[str, Any]]:
    """What one step of an agent loop adds to the history: the model's tool call and the tool's result."""
    call_id = f"call_{step}"
    return [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": f'{{"city": "city {step}"}}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": call_id, "content": f"sunny, {step % 30} C, wind {step % 7} km/h"},
    ]


def _conversation_at(step: int) -> list[dict[str, Any]]:
    history: list[dict[str, Any]] = [
        {
            "role": "system",
            "content": "You are a weather agent. Call get_weather for every city you are asked about.",
        },
        {"role": "user", "content": "What is the weather in each of these cities? " * 4},
    ]
    for number in range(1, step):
        history.extend(_turn(number))
    return history


def _mock_openai(answers: list[bytes]) -> Any:
    """A client whose transport answers every request with ``answers[0]`` (the caller sets it per step)."""
    import httpx

    def answer(request: httpx.Request) -> httpx.Response:
        # a stream, as from a socket (content= would be read already, so the body tee never saw it end)
        return httpx.Response(200, stream=httpx.ByteStream(answers[0]), headers=_JSON["headers"])

    transport = httpx.MockTransport(answer)
    return openai.OpenAI(
        base_url="http://fake.test/v1", api_key="bench", http_client=httpx.Client(transport=transport)
    )


def conversation_overhead(
    step: int, pairs: int, warm: int = 5, full: bool = False, folder: Path | None = None
) -> dict[str, float]:
    """CPU overhead of recording step ``step`` (and the ``pairs`` steps after it) of one long conversation.

    The official OpenAI SDK posts each request over an ``httpx.MockTransport`` (in-process, that
    step's answer), once through a wrapped client recording to a real trace file and
    once through a bare client; calls alternate and the overhead is the median of the paired
    CPU-time differences. Each step's body is encoded before the clock starts and handed to the
    SDK's ``post(content=...)`` as bytes: ``chat.completions.create()`` spends ~0.2 ms per history message in
    its own TypedDict transform (4 s a call at step 10,000, with or without capture), which would
    bury the figure being measured; capture sees the same bytes at the transport either way.

    What recording step N costs depends on the conversation's earlier requests only through the
    last few the writer remembers, so by default the recorded conversation starts at step
    ``step - warm`` with its whole history (the first call, which has nothing to refer to, is not
    measured); ``full=True`` records every step from 1 (slow before constant-cost capture).

    The conversation is consistent: the answer at step N asks for the tool call that step N + 1's
    request carries with its result, so capture records it as a derived tool step, as in a real
    agent loop with undecorated tools (an answer no later request answers would leave the call
    open for good and measure a path no agent takes).
    """
    from openai.types.chat import ChatCompletion

    answers = [b""]
    wrapped, bare = agentdbg.wrap_openai(_mock_openai(answers)), _mock_openai(answers)
    first = 1 if full else max(1, step - warm)
    history = _conversation_at(first)
    cpu_diffs: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = (folder or Path(tmp)) / f"conversation-{step}.jsonl"
        with agentdbg.trace("conversation", path=path):
            body = b""
            for number in range(first, step + pairs):
                # The last step's body stays held (``held``) until this step's calls are done:
                # freeing it (a 2.4 MB munmap at step 10,000) is the program's work either way, and
                # else it is freed inside the wrapped call where capture keeps the last body (without xxhash;
                # with it capture keeps only a digest of it).
                held, body = body, orjson.dumps({"model": "gpt-4o-mini", "messages": history})
                answers[0] = _chat_answer(number)
                measured = number >= step
                if number == step:
                    body_bytes = len(body)
                order = (wrapped, bare) if number % 2 == 0 else (bare, wrapped)
                cpu = {}
                for client in order if measured else (wrapped,):
                    if measured:
                        gc.collect()
                    started = time.process_time()
                    client.post("/chat/completions", content=body, cast_to=ChatCompletion, options=_JSON)
                    cpu[id(client)] = time.process_time() - started
                if measured:
                    cpu_diffs.append(cpu[id(wrapped)] - cpu[id(bare)])
                history.extend(_turn(number))
                del held
        size = path.stat().st_size
    return {
        "cpu_overhead_ms": statistics.median(cpu_diffs) * 1000,
        "body_bytes": float(body_bytes),
        "trace_bytes": float(size),
    }


def conversation_rows(quick: bool = False, full: bool = False) -> list[dict[str, Any]]:
    """Rows for the CPU overhead of recording step 10, 1,000 and 10,000 of one conversation."""
    pairs = 10 if quick else 60
    rows = []
    for step in CONVERSATION_STEPS[:2] if quick else CONVERSATION_STEPS:  # --quick (CI): ~10 s
        figures = conversation_overhead(step, pairs, full=full)
        rows.append(
            {
                "name": f"capture CPU overhead at step {step:,} of one conversation",
                "value": round(figures["cpu_overhead_ms"], 3),
                "unit": "ms/call",
                "goal": f"< {GOAL_MS}",
                "baseline": f"openai chat.completions, request body {figures['body_bytes'] / 1e3:,.0f} KB",
            }
        )
    return rows


def main(argv: list[str]) -> None:
    if "--conversation" in argv:
        rows = conversation_rows("--quick" in argv, full="--full" in argv)
    else:
        rows = run(quick="--quick" in argv)
    width = max(len(row["name"]) for row in rows)
    print(f"{'case':<{width}}  {'value':>9}  {'unit':<10}  {'goal':<6}  baseline")
    for row in rows:
        print(
            f"{row['name']:<{width}}  {row['value']:>9}  {row['unit']:<10}  {row['goal']:<6}  {row['baseline']}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
