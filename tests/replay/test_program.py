"""Code-level replay: a user's own agent script run by ``agentdbg replay TRACE --from STEP -- python agent.py``.

Every test records a real run of a script under ``programs/`` against the local wire-protocol
server, then replays it as a subprocess and proves from the server's request log what was sent.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agentdbg import read_trace
from agentdbg.testing.llm_server import FakeLLMServer, reply, tool_call_reply

PROGRAMS = Path(__file__).parent / "programs"
QUESTION = "What's the weather in Paris?"
SCRIPTS = {
    "openai": (PROGRAMS / "weather_openai.py", "/v1"),
    "anthropic": (PROGRAMS / "weather_anthropic.py", ""),
}
CASES = [
    ("openai", ""),
    ("openai", "--stream"),
    ("openai", "--helper"),
    ("openai", "--async"),
    ("anthropic", ""),
    ("anthropic", "--stream"),
    ("anthropic", "--async"),
]


class Agent:
    """One agent script, its environment and its files in ``tmp_path``."""

    def __init__(self, tmp_path: Path, server: FakeLLMServer, sdk: str, mode: str) -> None:
        script, suffix = SCRIPTS[sdk]
        self.tmp_path, self.server, self.script, self.mode = tmp_path, server, script, mode
        self.trace = tmp_path / "run.jsonl"
        self.log = tmp_path / "weather.log"
        self.env = {
            **os.environ,
            "WEATHER_BASE_URL": server.base_url + suffix,
            "WEATHER_LOG": str(self.log),
            "WEATHER_TRACE": str(self.trace),
            "OPENAI_API_KEY": "test-key",
            "ANTHROPIC_API_KEY": "test-key",
        }
        self.env.pop("AGENTDBG_DISABLED", None)

    def command(self, question: str = QUESTION) -> list[str]:
        return [sys.executable, str(self.script), question, *([self.mode] if self.mode else [])]

    def record(self) -> None:
        """The original run: the model calls get_weather(Paris), then answers."""
        self.server.enqueue(
            tool_call_reply("get_weather", {"city": "Paris"}), reply("It is 18C and sunny in Paris.")
        )
        done = subprocess.run(self.command(), env=self.env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert [s.kind for s in read_trace(self.trace).spans] == ["llm", "tool", "llm"]
        assert self.log.read_text() == "Paris\n"
        self.server.clear()

    def replay(
        self, *args: str, question: str = QUESTION, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        command = [
            sys.executable,
            "-m",
            "agentdbg",
            "replay",
            str(self.trace),
            *args,
            "--",
            *self.command(question),
        ]
        return subprocess.run(command, env=env or self.env, capture_output=True, text=True, timeout=60)


@pytest.fixture
def server():
    with FakeLLMServer(seed=3) as running:
        yield running


@pytest.mark.parametrize(("sdk", "mode"), CASES)
def test_fork_at_last_llm_sends_only_the_patched_request(tmp_path, server, sdk, mode):
    agent = Agent(tmp_path, server, sdk, mode)
    agent.record()
    server.enqueue(reply("Il fait beau à Paris."))
    fork = tmp_path / "fork.jsonl"
    done = agent.replay("--from", "step-3", "--set", '/system="Answer in French."', "-o", str(fork), "--json")
    assert done.returncode == 0, done.stderr
    assert len(server.requests) == 1  # step-1 was served from the record, not sent
    sent = server.requests[0].json
    assert "Answer in French." in json.dumps(sent) and "weather assistant" not in json.dumps(sent)
    assert agent.log.read_text() == "Paris\n"  # the tool before the fork did not run again
    trace = read_trace(fork)
    assert not trace.problems
    assert trace.header.fork_of is not None and trace.header.fork_of.step == "step-3"
    assert [(s.kind, s.origin) for s in trace.spans] == [
        ("llm", "recorded"),
        ("tool", "recorded"),
        ("llm", "patched"),
    ]
    assert trace.spans[2].input["request"]["system" if sdk == "anthropic" else "messages"] is not None
    result = json.loads(done.stdout)
    assert result["engine"] == "program" and result["status"] == "finished"
    assert result["served"] == 1 and result["llm_calls"] == 1
    assert (
        result["new_answer"] == "Il fait beau à Paris."
        and result["old_answer"] == "It is 18C and sunny in Paris."
    )
    assert result["divergence_step"] == "step-3"
    if mode in (
        "--stream",
        "--helper",
    ):  # the served step was a stream the SDK parsed into the same tool call
        assert trace.spans[0].attributes["stream"] is True
        assert trace.spans[0].output == read_trace(agent.trace).spans[0].output


@pytest.mark.parametrize(("sdk", "mode"), [("openai", ""), ("anthropic", "--stream")])
def test_a_tool_after_the_fork_runs_live(tmp_path, server, sdk, mode):
    agent = Agent(tmp_path, server, sdk, mode)
    agent.record()
    server.enqueue(tool_call_reply("get_weather", {"city": "Lyon"}), reply("Lyon: 18C."))
    done = agent.replay(
        "--from", "step-1", "--set", '/system="Prefer Lyon."', "-o", str(tmp_path / "f.jsonl")
    )
    assert done.returncode == 0, done.stderr
    assert len(server.requests) == 2
    assert "Prefer Lyon." in json.dumps(server.requests[0].json)
    assert agent.log.read_text() == "Paris\nLyon\n"  # the tool after the fork ran
    origins = [s.origin for s in read_trace(tmp_path / "f.jsonl").spans]
    assert origins == ["patched", "live", "live"]
    assert "diverged" in done.stdout and "step-1" in done.stdout


@pytest.mark.parametrize(("sdk", "mode"), [("openai", ""), ("openai", "--async"), ("anthropic", "")])
def test_a_changed_prompt_stops_at_the_divergence(tmp_path, server, sdk, mode):
    agent = Agent(tmp_path, server, sdk, mode)
    agent.record()
    done = agent.replay(
        "--from", "step-3", "-o", str(tmp_path / "f.jsonl"), question="What's the weather in Rome?"
    )
    assert done.returncode == 5, done.stderr
    assert server.requests == []  # nothing reached the model
    assert "request 1 differs from the recorded step-1" in done.stderr
    assert "recorded: What's the weather in Paris?" in done.stderr
    assert "sent:     What's the weather in Rome?" in done.stderr
    assert "messages[" in done.stderr
    assert agent.log.read_text() == "Paris\n"
    fork = read_trace(tmp_path / "f.jsonl")
    assert fork.spans[0].error is not None and fork.spans[0].error.type == "ReplayDivergence"
    assert (fork.spans[0].model_extra or {}).get("diverged") is True
    assert "diverged" in done.stdout


def test_on_divergence_live_sends_from_the_divergence_on(tmp_path, server):
    agent = Agent(tmp_path, server, "openai", "")
    agent.record()
    server.enqueue(tool_call_reply("get_weather", {"city": "Rome"}), reply("Rome: 20C."))
    done = agent.replay(
        "--from",
        "step-3",
        "--on-divergence",
        "live",
        "-o",
        str(tmp_path / "f.jsonl"),
        question="Weather in Rome?",
    )
    assert done.returncode == 0, done.stderr
    assert len(server.requests) == 2 and "Weather in Rome?" in json.dumps(server.requests[0].json)
    assert agent.log.read_text() == "Paris\nRome\n"
    fork = read_trace(tmp_path / "f.jsonl")
    assert [s.origin for s in fork.spans] == ["live", "live", "live"]
    assert (fork.spans[0].model_extra or {}).get("diverged") is True


def test_on_divergence_serve_answers_from_the_record(tmp_path, server):
    agent = Agent(tmp_path, server, "openai", "")
    agent.record()
    server.enqueue(reply("Patched answer."))
    env = {**agent.env, "WEATHER_SYSTEM": "You are terse."}
    fork = tmp_path / "f.jsonl"
    done = agent.replay("--from", "step-3", "--on-divergence", "serve", "-o", str(fork), "--json", env=env)
    assert done.returncode == 0, done.stderr
    assert len(server.requests) == 1  # step-1 differs (system prompt) but is served anyway
    assert agent.log.read_text() == "Paris\n"
    result = json.loads(done.stdout)
    assert any(
        "diverged (let through): request 1 differs from the recorded step-1" in n for n in result["notes"]
    )
    first = read_trace(fork).spans[0]
    assert first.origin == "recorded" and (first.model_extra or {}).get("diverged") is True
    assert "You are terse." in first.attributes["divergence"]


def test_tools_live_runs_tools_before_the_fork(tmp_path, server):
    agent = Agent(tmp_path, server, "openai", "")
    agent.record()
    server.enqueue(reply("ok"))
    done = agent.replay("--from", "step-3", "--tools", "live", "-o", str(tmp_path / "f.jsonl"))
    assert done.returncode == 0, done.stderr
    assert agent.log.read_text() == "Paris\nParis\n"
    assert len(server.requests) == 1


def test_fork_at_a_tool_step_returns_the_patched_result(tmp_path, server):
    agent = Agent(tmp_path, server, "openai", "")
    agent.record()
    server.enqueue(reply("Snow in Paris."))
    done = agent.replay(
        "--from", "step-2", "--set", '/result="-5C and snowing"', "-o", str(tmp_path / "f.jsonl")
    )
    assert done.returncode == 0, done.stderr
    assert agent.log.read_text() == "Paris\n"  # the patched tool did not run
    assert len(server.requests) == 1 and "-5C and snowing" in json.dumps(server.requests[0].json)
    assert [s.origin for s in read_trace(tmp_path / "f.jsonl").spans] == ["recorded", "patched", "live"]


def test_missing_key_is_a_clear_error_before_anything_runs(tmp_path, server):
    agent = Agent(tmp_path, server, "openai", "")
    agent.record()
    env = {k: v for k, v in agent.env.items() if k != "OPENAI_API_KEY"}
    done = agent.replay("--from", "step-3", "-o", str(tmp_path / "f.jsonl"), env=env)
    assert done.returncode != 0
    assert "OPENAI_API_KEY is not set" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "f.jsonl").exists() and server.requests == []


def test_the_program_exit_code_is_passed_on(tmp_path, server):
    agent = Agent(tmp_path, server, "openai", "")
    agent.record()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "agentdbg",
            "replay",
            str(agent.trace),
            "--from",
            "step-3",
            "-o",
            str(tmp_path / "f.jsonl"),
            "--",
            sys.executable,
            "-c",
            "import sys; sys.exit(7)",
        ],
        env=agent.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 7
    assert "exited with status 7" in done.stdout


def test_same_command_reruns_what_the_trace_recorded(tmp_path, server):
    agent = Agent(tmp_path, server, "anthropic", "")
    agent.record()
    command = read_trace(agent.trace).header.model_extra["command"]
    assert command["argv"][1:] == [QUESTION] and command["cwd"]
    server.enqueue(reply("Again."))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "agentdbg",
            "replay",
            str(agent.trace),
            "--from",
            "last-llm",
            "--same-command",
            "-o",
            str(tmp_path / "f.jsonl"),
            "--json",
        ],
        env=agent.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["new_answer"] == "Again."
    assert len(server.requests) == 1


def test_repeat_runs_the_program_k_times(tmp_path, server):
    agent = Agent(tmp_path, server, "openai", "")
    agent.record()
    server.enqueue(reply("Sunny."), reply("Rainy."))
    done = agent.replay("--from", "step-3", "--repeat", "2", "-o", str(tmp_path / "f.jsonl"), "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["outcomes"] == {"finished": 2}
    assert sorted(answer for answer, _ in summary["answers"]) == ["Rainy.", "Sunny."]
    assert summary["split_step"] == "step-3"
    assert len(server.requests) == 2 and agent.log.read_text() == "Paris\n"
    assert (tmp_path / "f.r1.jsonl").exists() and (tmp_path / "f.r2.jsonl").exists()


def test_base_url_sends_live_requests_elsewhere_and_the_fork_is_not_overwritten(tmp_path, server):
    agent = Agent(tmp_path, server, "openai", "")
    agent.record()
    env = {**agent.env, "WEATHER_BASE_URL": "http://127.0.0.1:9/v1"}  # the program's own URL is dead now
    fork = tmp_path / "f.jsonl"
    with FakeLLMServer(seed=9) as other:
        other.enqueue(reply("From the other server."))
        done = agent.replay(
            "--from", "step-3", "--base-url", other.base_url + "/v1", "-o", str(fork), env=env
        )
        assert done.returncode == 0, done.stderr
        assert len(other.requests) == 1 and server.requests == []
        assert "From the other server." in done.stdout
        again = agent.replay(
            "--from", "step-3", "--base-url", other.base_url + "/v1", "-o", str(fork), env=env
        )
        assert again.returncode == 2 and "already exists" in again.stderr and "--force" in again.stderr
        assert len(other.requests) == 1  # refused before the program ran


SAMPLE = Path(__file__).parents[2] / "sample_traces" / "03_tool_loop.jsonl"


def _replay_sample(*args: str) -> subprocess.CompletedProcess[str]:
    """``agentdbg replay`` of the shipped tool-loop sample with ``args``, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "agentdbg", "replay", str(SAMPLE), *args],
        env={**os.environ, "OPENAI_API_KEY": "test-key"},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "step-2", "--on-divergence", "maybe"], "--on-divergence must be stop, live or serve"),
        (["--from", "step-2", "--tools", "mypkg.tools:TOOLS"], "--tools must be recorded or live"),
        (["--from", "step-1"], "step-1 is an agent step; replay starts from an llm step or a tool step"),
        (["--from", "step-2", "--set", "/nope/deeper=1"], "/nope"),
    ],
)
def test_bad_input_is_one_clear_line_before_the_program_runs(tmp_path, args, message):
    marker = tmp_path / "ran"
    program = [sys.executable, "-c", f"open({str(marker)!r}, 'w')"]
    done = _replay_sample(*args, "-o", str(tmp_path / "f.jsonl"), "--", *program)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
    assert not marker.exists() and not (tmp_path / "f.jsonl").exists()


def test_on_divergence_without_a_program_is_refused(tmp_path):
    """--on-divergence only means something when -- CMD runs; alone it is an error, not silently ignored."""
    done = _replay_sample("--from", "step-2", "--on-divergence", "live", "-o", str(tmp_path / "f.jsonl"))
    assert done.returncode == 2, done.stderr
    assert "--on-divergence applies only when your own program runs the replay" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "f.jsonl").exists()
