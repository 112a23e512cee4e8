"""``agentdbg.replaying()``: code-level replay in this process, through every SDK call path."""

from __future__ import annotations

import asyncio
import json

import anthropic
import openai
import pytest

import agentdbg
from agentdbg import read_trace
from agentdbg.replay.inline import ReplayDivergenceError
from agentdbg.testing.llm_server import FakeLLMServer, reply

DEAD = "http://127.0.0.1:9"  # nothing listens: a request that left the process would fail


def chat_plain(client, text):
    r = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": text}])
    return r.choices[0].message.content


def chat_stream(client, text):
    chunks = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": text}], stream=True
    )
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def chat_helper(client, text):
    with client.chat.completions.stream(
        model="gpt-4o-mini", messages=[{"role": "user", "content": text}]
    ) as s:
        return s.get_final_completion().choices[0].message.content


def chat_raw_stream(client, text):
    with client.chat.completions.with_streaming_response.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": text}]
    ) as response:
        return json.loads(response.read())["choices"][0]["message"]["content"]


def responses_plain(client, text):
    return client.responses.create(model="gpt-4.1-mini", input=text).output_text


def responses_stream(client, text):
    with client.responses.stream(model="gpt-4.1-mini", input=text) as s:
        return s.get_final_response().output_text


def messages_plain(client, text):
    m = client.messages.create(model="claude-x", max_tokens=50, messages=[{"role": "user", "content": text}])
    return m.content[0].text


def messages_stream(client, text):
    with client.messages.stream(
        model="claude-x", max_tokens=50, messages=[{"role": "user", "content": text}]
    ) as s:
        return s.get_final_text()


def messages_async(make_client, text):
    async def run():  # one client per event loop, as an async program has
        client = make_client()
        m = await client.messages.create(
            model="claude-x", max_tokens=50, messages=[{"role": "user", "content": text}]
        )
        return m.content[0].text

    return asyncio.run(run())


PATHS = {
    "chat": ("openai", chat_plain),
    "chat-stream": ("openai", chat_stream),
    "chat-helper": ("openai", chat_helper),
    "chat-with_streaming_response": ("openai", chat_raw_stream),
    "responses": ("openai", responses_plain),
    "responses-stream": ("openai", responses_stream),
    "messages": ("anthropic", messages_plain),
    "messages-stream": ("anthropic", messages_stream),
    "messages-async": ("anthropic-async", messages_async),
}


def client_for(kind, url):
    if kind == "openai":
        return agentdbg.wrap_openai(openai.OpenAI(base_url=url + "/v1", api_key="k", max_retries=0))
    if kind == "anthropic":
        return agentdbg.wrap_anthropic(anthropic.Anthropic(base_url=url, api_key="k", max_retries=0))
    return lambda: agentdbg.wrap_anthropic(anthropic.AsyncAnthropic(base_url=url, api_key="k", max_retries=0))


def record(tmp_path, kind, call, answers):
    path = tmp_path / "run.jsonl"
    with FakeLLMServer(seed=1) as server:
        server.enqueue(*[reply(answer) for answer in answers])
        client = client_for(kind, server.base_url)
        with agentdbg.trace("run", path=path):
            got = [call(client, f"question {n}") for n in range(len(answers))]
    assert got == answers
    return path


@pytest.mark.parametrize("name", list(PATHS))
def test_every_sdk_path_is_served_offline(tmp_path, name):
    kind, call = PATHS[name]
    path = record(tmp_path, kind, call, ["first answer here", "second answer here"])
    client = client_for(kind, DEAD)
    fork = tmp_path / "fork.jsonl"
    with (
        agentdbg.replaying(path, out=fork) as replay,
        agentdbg.trace("ignored", path=tmp_path / "elsewhere.jsonl"),
    ):
        assert [call(client, f"question {n}") for n in range(2)] == [
            "first answer here",
            "second answer here",
        ]
    assert (replay.served, replay.live) == (2, 0)
    assert not (tmp_path / "elsewhere.jsonl").exists()  # trace() wrote to the fork file
    replayed = read_trace(fork)
    assert [s.origin for s in replayed.spans] == ["recorded", "recorded"]
    assert [s.output for s in replayed.spans] == [s.output for s in read_trace(path).spans]


def test_the_fork_step_is_patched_and_sent(tmp_path):
    path = record(tmp_path, "openai", chat_plain, ["one", "two"])
    with FakeLLMServer(seed=2) as server:
        server.enqueue(reply("patched two"))
        client = client_for("openai", server.base_url)
        patch = [{"op": "replace", "path": "/messages/0/content", "value": "question 1, in French"}]
        with agentdbg.replaying(path, from_step="step-2", patch=patch, out=tmp_path / "f.jsonl") as replay:
            assert [chat_plain(client, f"question {n}") for n in range(2)] == ["one", "patched two"]
    assert len(server.requests) == 1
    assert server.requests[0].json["messages"] == [{"role": "user", "content": "question 1, in French"}]
    assert (replay.served, replay.live) == (1, 1)
    assert [s.origin for s in read_trace(tmp_path / "f.jsonl").spans] == ["recorded", "patched"]


def test_a_divergence_raises_with_the_difference(tmp_path):
    path = record(tmp_path, "openai", chat_plain, ["one"])
    client = client_for("openai", DEAD)
    with pytest.raises(ReplayDivergenceError) as raised, agentdbg.replaying(path, out=tmp_path / "f.jsonl"):
        with pytest.raises(openai.BadRequestError) as sdk_error:
            chat_plain(client, "another question")
        raise sdk_error.value
    text = str(raised.value)
    assert "request 1 differs from the recorded step-1" in text
    assert "messages[0] (user) content:" in text
    assert "recorded: question 0" in text and "sent:     another question" in text
    assert "agentdbg replay" in str(sdk_error.value)


def test_volatile_fields_are_not_a_divergence(tmp_path):
    path = record(tmp_path, "openai", chat_plain, ["one"])
    client = client_for("openai", DEAD)
    with agentdbg.replaying(path, out=tmp_path / "f.jsonl") as replay:
        r = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "question 0"}],
            user="someone-else",
            stream=True,
            stream_options={"include_usage": True},
            extra_headers={"x-trace": "123"},
        )
        assert "".join(c.choices[0].delta.content or "" for c in r if c.choices) == "one"
    assert replay.served == 1 and not replay.divergences


def test_a_client_playback_cannot_hook_is_warned_about(tmp_path, monkeypatch, capsys):
    from agentdbg.capture import playback

    path = record(tmp_path, "openai", chat_plain, ["one"])

    def cannot(http_client):
        raise TypeError(f"{type(http_client).__name__} has no httpx transport to replay through")

    monkeypatch.setattr(playback, "install", cannot)
    client = client_for("openai", DEAD)
    with agentdbg.replaying(path, out=tmp_path / "f.jsonl"), pytest.raises(openai.APIConnectionError):
        chat_plain(client, "question 0")
    assert "code-level replay cannot answer this client's requests" in capsys.readouterr().err


def test_code_without_trace_writes_the_fork_and_nothing_after_it(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTDBG_DIR", str(tmp_path / "auto"))
    path = record(tmp_path, "openai", chat_plain, ["one"])
    fork = tmp_path / "fork.jsonl"
    with agentdbg.replaying(path, out=fork):
        assert (
            chat_plain(client_for("openai", DEAD), "question 0") == "one"
        )  # no trace(): the automatic session
    with FakeLLMServer(seed=3) as server:
        server.enqueue(reply("later"))
        assert chat_plain(client_for("openai", server.base_url), "after") == "later"
    assert [s.origin for s in read_trace(fork).spans] == ["recorded"]
    (later,) = list((tmp_path / "auto").glob("*.jsonl"))
    assert [s.origin for s in read_trace(later).spans] == [None]
    from agentdbg.capture import session as sessions

    sessions._auto_session.close()  # later tests in this process open their own


def test_an_automatic_session_opened_before_the_replay_does_not_take_the_forks_steps(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTDBG_DIR", str(tmp_path / "auto"))
    path = record(tmp_path, "openai", chat_plain, ["one"])
    with FakeLLMServer(seed=3) as server:  # earlier in the process, outside trace(): opens the automatic session
        server.enqueue(reply("before"))
        assert chat_plain(client_for("openai", server.base_url), "before") == "before"
    fork = tmp_path / "fork.jsonl"
    with agentdbg.replaying(path, out=fork):
        assert chat_plain(client_for("openai", DEAD), "question 0") == "one"
    assert [s.origin for s in read_trace(fork).spans] == ["recorded"]
    (earlier,) = list((tmp_path / "auto").glob("*.jsonl"))
    assert [s.kind for s in read_trace(earlier).spans] == ["llm"]
