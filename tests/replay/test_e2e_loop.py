"""The tool loop during replay: unrecorded calls, --tools functions, --max-steps, --repeat, dry runs, keys."""

from __future__ import annotations

import itertools
import json

import pytest

from agentdbg import read_trace
from agentdbg.errors import MissingApiKeyError
from agentdbg.replay import TEMPLATE_PLACEHOLDER, load_patch, replay, replay_repeat
from agentdbg.testing.llm_server import reply, tool_call_reply
from tests.replay.agent import APIS, record_run, weather
from tests.replay.conftest import base_url

ROME = [{"op": "replace", "path": "/messages/0/content", "value": "What is the weather in Rome?"}]


def weather_run(tmp_path, server, api, **kwargs):
    return record_run(
        tmp_path / "run.jsonl",
        server,
        api,
        [tool_call_reply("get_weather", {"city": "Paris"}), reply("It is 18C and sunny in Paris.")],
        {"get_weather": weather},
        **kwargs,
    )


@pytest.mark.parametrize("api", APIS)
def test_unrecorded_tool_call_stops_and_the_filled_template_resumes(tmp_path, server, api):
    run = weather_run(tmp_path, server, api)
    server.enqueue(tool_call_reply("get_weather", {"city": "Rome"}))
    result = replay(run, "step-2", patch=ROME, base_url=base_url(server, api))
    assert result.status == "needs-tool-result" and result.exit_code == 3
    assert result.needs is not None and result.needs.name == "get_weather"
    assert result.needs.arguments == {"city": "Rome"} and result.needs.step == "step-3"
    template = load_patch(result.needs.template)
    assert TEMPLATE_PLACEHOLDER in json.dumps(template)
    fork = read_trace(result.fork_path)
    assert fork.spans[2].error is not None and fork.spans[2].error.type == "NeedsToolResult"

    filled = [op if op["op"] != "replace" else {**op, "value": "25C and clear"} for op in template]
    server.enqueue(reply("Rome: 25C and clear."))
    resumed = replay(result.fork_path, result.needs.step, patch=filled, base_url=base_url(server, api))
    assert resumed.status == "finished", resumed.error
    assert resumed.new_answer == "Rome: 25C and clear."
    assert len(server.requests) == 2
    second = json.dumps(server.requests[1].json)
    assert "25C and clear" in second and "Rome" in second
    resumed_fork = read_trace(resumed.fork_path)
    assert [s.origin for s in resumed_fork.spans] == ["recorded", "recorded", "patched", "live"]


@pytest.mark.parametrize("api", APIS)
def test_unfilled_template_is_refused(tmp_path, server, api):
    run = weather_run(tmp_path, server, api)
    server.enqueue(tool_call_reply("get_weather", {"city": "Rome"}))
    result = replay(run, "step-2", patch=ROME, base_url=base_url(server, api))
    from agentdbg.errors import PatchError

    with pytest.raises(PatchError, match="placeholder"):
        replay(
            result.fork_path,
            result.needs.step,
            patch=load_patch(result.needs.template),
            base_url=base_url(server, api),
        )


@pytest.mark.parametrize("api", APIS)
def test_tools_function_answers_live(tmp_path, server, api):
    run = weather_run(tmp_path, server, api)
    calls = []

    def get_weather(city: str) -> dict:
        calls.append(city)
        return {"city": city, "forecast": "rain"}

    server.enqueue(tool_call_reply("get_weather", {"city": "Rome"}), reply("Rain in Rome."))
    result = replay(run, "step-2", patch=ROME, tools=[get_weather], base_url=base_url(server, api))
    assert result.status == "finished" and calls == ["Rome"]
    fork = read_trace(result.fork_path)
    assert [s.origin for s in fork.spans] == ["recorded", "patched", "live", "live"]
    assert fork.spans[2].output == {"city": "Rome", "forecast": "rain"}
    assert '\\"forecast\\": \\"rain\\"' in json.dumps(server.requests[1].json)


def test_tools_module_attr_spec(tmp_path, server, monkeypatch):
    api = "openai.chat.completions"
    run = weather_run(tmp_path, server, api)
    (tmp_path / "my_tools.py").write_text("TOOLS = {'get_weather': lambda city: f'hail in {city}'}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    server.enqueue(tool_call_reply("get_weather", {"city": "Rome"}), reply("Hail."))
    result = replay(run, "step-2", patch=ROME, tools="my_tools:TOOLS", base_url=base_url(server, api))
    assert result.status == "finished"
    assert "hail in Rome" in json.dumps(server.requests[1].json)


@pytest.mark.parametrize("api", APIS)
def test_max_steps_ends_a_loop(tmp_path, server, api):
    run = weather_run(tmp_path, server, api)
    server.default = tool_call_reply("get_weather", {"city": "Paris"})  # the model never stops calling
    result = replay(run, "step-2", max_steps=3, base_url=base_url(server, api))
    assert result.status == "max-steps" and result.exit_code == 4
    assert result.llm_calls == 3 and len(server.requests) == 3
    fork = read_trace(result.fork_path)
    assert [s.kind for s in fork.spans[1:]] == ["llm", "tool", "llm", "tool", "llm", "tool"]
    assert {s.origin for s in fork.spans if s.kind == "tool"} == {"cached"}


@pytest.mark.parametrize("api", APIS)
def test_repeat_reports_the_scripted_distribution(tmp_path, server, api):
    run = weather_run(tmp_path, server, api)
    answers = itertools.cycle(["Sunny.", "Sunny.", "Cloudy."])
    server.responder = lambda request: reply(next(answers))
    summary = replay_repeat(run, "last-llm", 6, output=tmp_path / "f.jsonl", base_url=base_url(server, api))
    assert summary.outcomes == {"finished": 6}
    assert summary.answers == [("Sunny.", 4), ("Cloudy.", 2)]
    assert summary.split_step == "step-4"
    assert summary.split_variants == [("llm: 'Sunny.' calls=[]", 4), ("llm: 'Cloudy.' calls=[]", 2)]
    assert len(server.requests) == 6
    assert all((tmp_path / f"f.r{n}.jsonl").exists() for n in range(1, 7))


def test_repeat_counts_loops_and_finishes(tmp_path, server):
    api = "anthropic.messages"
    run = weather_run(tmp_path, server, api)
    state = {"run": 0, "calls": 0}

    def responder(request):  # runs 1 and 3 loop forever, run 2 answers at once
        first_of_run = "tool_result" not in json.dumps(request.json["messages"][-1])
        if first_of_run:
            state["run"] += 1
        return reply("Done.") if state["run"] == 2 else tool_call_reply("get_weather", {"city": "Paris"})

    server.responder = responder
    summary = replay_repeat(
        run, "step-2", 3, output=tmp_path / "loop.jsonl", max_steps=2, base_url=base_url(server, api)
    )
    assert summary.outcomes == {"looped": 2, "finished": 1}
    assert summary.split_step == "step-2"


@pytest.mark.parametrize("api", APIS)
def test_dry_run_sends_nothing(tmp_path, server, api):
    run = weather_run(tmp_path, server, api)
    patch = {"system": "Be terse."}
    result = replay(run, "step-2", patch=patch, dry_run=True, base_url=base_url(server, api))
    assert result.status == "dry-run" and server.requests == []
    assert "Be terse." in json.dumps(result.request)
    assert not (tmp_path / "run.fork.jsonl").exists()


@pytest.mark.parametrize("api", APIS)
def test_missing_key_is_clear_and_nothing_is_sent(tmp_path, server, api, monkeypatch):
    run = weather_run(tmp_path, server, api)
    variable = "ANTHROPIC_API_KEY" if api.startswith("anthropic") else "OPENAI_API_KEY"
    monkeypatch.delenv(variable)
    with pytest.raises(MissingApiKeyError, match=variable):
        replay(run, "step-2", base_url=base_url(server, api))
    assert server.requests == []
    assert not (tmp_path / "run.fork.jsonl").exists()


@pytest.mark.parametrize("api", APIS)
def test_recorded_stream_replays_without_streaming(tmp_path, server, api):
    run = weather_run(tmp_path, server, api, stream_flag=True)
    server.enqueue(reply("Sunny."))
    result = replay(run, "last-llm", base_url=base_url(server, api))
    assert result.status == "finished"
    sent = server.requests[0].json
    assert "stream" not in sent and "stream_options" not in sent
    fork = read_trace(result.fork_path)
    notes = fork.spans[-1].attributes["replay_notes"]
    assert any("stream" in note for note in notes)
    assert fork.spans[-1].attributes["stream"] is False


def test_api_error_marks_the_step_and_status(tmp_path, server):
    from agentdbg.testing.llm_server import error_reply

    api = "openai.chat.completions"
    run = weather_run(tmp_path, server, api)
    server.enqueue(error_reply(400, "context too long"))
    result = replay(run, "step-2", base_url=base_url(server, api), max_retries=0)
    assert result.status == "errored" and result.exit_code == 1
    assert "context too long" in (result.error or "")
    fork = read_trace(result.fork_path)
    assert fork.spans[-1].error is not None and fork.spans[-1].error.status_code == 400


def test_on_step_reports_each_new_step_as_it_ends(tmp_path, server):
    api = "openai.responses"
    run = weather_run(tmp_path, server, api)
    server.enqueue(tool_call_reply("get_weather", {"city": "Paris"}), reply("Sunny."))
    seen = []
    result = replay(
        run,
        "step-2",
        on_step=lambda span: seen.append((span.address, span.kind, span.origin, span.ended)),
        base_url=base_url(server, api),
    )
    assert seen == [
        ("step-2", "llm", "patched", True),
        ("step-3", "tool", "cached", True),
        ("step-4", "llm", "live", True),
    ]
    assert [s.step for s in result.steps] == ["step-2", "step-3", "step-4"]


def test_tools_from_a_file_path(tmp_path, server):
    api = "anthropic.messages"
    run = weather_run(tmp_path, server, api)
    tools_file = tmp_path / "weather tools.py"
    tools_file.write_text("def get_weather(city):\n    return f'fog in {city}'\n\nTOOLS = [get_weather]\n")
    server.enqueue(tool_call_reply("get_weather", {"city": "Rome"}), reply("Fog."))
    result = replay(run, "step-2", patch=ROME, tools=f"{tools_file}:TOOLS", base_url=base_url(server, api))
    assert result.status == "finished"
    assert "fog in Rome" in json.dumps(server.requests[1].json)


def test_bad_tools_specs_are_clear(tmp_path):
    from agentdbg.replay import ToolsSpecError
    from agentdbg.replay.tools import load_tools

    (tmp_path / "t.py").write_text("TOOLS = 3\nBROKEN = {'x': 1}\n")
    for spec, message in [
        ("nocolon", "expected module:attr"),
        (f"{tmp_path}/missing.py:TOOLS", "no such file"),
        (f"{tmp_path}/t.py:NOPE", "has no attribute 'NOPE'"),
        (f"{tmp_path}/t.py:TOOLS", "expected a dict"),
        (f"{tmp_path}/t.py:BROKEN", "not callable: x"),
    ]:
        with pytest.raises(ToolsSpecError, match=message):
            load_tools(spec)
