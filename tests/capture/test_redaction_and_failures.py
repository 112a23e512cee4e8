"""Secrets never reach the file; a failing writer warns once and never disturbs the agent."""

from __future__ import annotations

import os

import agentdbg
from agentdbg.capture.redact import mask_secrets
from agentdbg.testing.llm_server import reply, tool_call_reply

from .conftest import ANTHROPIC_KEY, OPENAI_KEY, llm_steps, load

AWS_KEY = "AKIA" + "ABCDEFGHIJ234567"
BEARER = "Bearer " + "eyJhbGciOiJIUzI1NiJ9.payload-signature_0123456789"


def test_key_shaped_strings_are_masked_everywhere(server, oai, ant, trace_path):
    leaked = f"my key is {OPENAI_KEY}, aws {AWS_KEY}, header {BEARER}"
    server.enqueue(tool_call_reply("deploy", {"token": ANTHROPIC_KEY}), reply(f"echo {OPENAI_KEY}"))

    @agentdbg.tool
    def deploy(token: str) -> str:
        return f"deployed with {token}"

    with agentdbg.trace("leaky", path=trace_path, metadata={"note": AWS_KEY}):
        oai.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": leaked}])
        deploy(ANTHROPIC_KEY)
        ant.messages.create(
            model="claude-sonnet-4-6", max_tokens=5, messages=[{"role": "user", "content": leaked}]
        )
    text = trace_path.read_text()
    for secret in (OPENAI_KEY, ANTHROPIC_KEY, AWS_KEY, BEARER, "authorization", "x-api-key"):
        assert secret not in text
    first = llm_steps(load(trace_path))[0]
    assert first.input["request"]["messages"][0]["content"] == (
        "my key is sk-proj-[REDACTED], aws AKIA[REDACTED], header Bearer [REDACTED]"
    )
    tool = load(trace_path).spans[1]
    assert tool.input["arguments"]["token"] == "sk-ant-api03-[REDACTED]"
    assert tool.output == "deployed with sk-ant-api03-[REDACTED]" and tool.input["call_id"]


def test_user_redact_rule_runs_on_every_string(server, oai, trace_path):
    server.enqueue(reply("Customer jane@example.com is verified"))
    with agentdbg.trace("pii", path=trace_path, redact=lambda s: s.replace("jane@example.com", "<email>")):
        oai.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "check jane@example.com"}]
        )
    assert "jane@example.com" not in trace_path.read_text()
    (step,) = llm_steps(load(trace_path))
    assert step.input["request"]["messages"][0]["content"] == "check <email>"
    assert step.llm.answer_text == "Customer <email> is verified"


def test_mask_secrets_leaves_ordinary_text_alone():
    assert (
        mask_secrets("ask-me skills task-12 sk-short Bearer x") == "ask-me skills task-12 sk-short Bearer x"
    )


def test_writer_failure_warns_once_and_the_agent_goes_on(server, oai, trace_path, capfd):
    server.default = reply("still answering")
    with agentdbg.trace("doomed", path=trace_path) as session:
        oai.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "1"}])
        os.close(session._writer._fd)  # the disk goes away under us (EBADF on every later write)
        session._writer._fd = os.open(os.devnull, os.O_RDONLY)
        answers = [
            oai.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": str(i)}])
            for i in range(3)
        ]
        with agentdbg.span("after", kind="agent"):
            pass
    assert [a.choices[0].message.content for a in answers] == ["still answering"] * 3
    err = capfd.readouterr().err
    assert err.count("agentdbg: cannot write trace") == 1 and "your program is unaffected" in err
    assert len(llm_steps(load(trace_path))) == 1


def test_unopenable_trace_file_warns_once(server, oai, tmp_path, capfd):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where a directory should be")
    server.default = reply("fine")
    with agentdbg.trace("nowhere", path=blocker / "run.jsonl"):
        out = oai.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
        with agentdbg.span("s"):
            pass
    assert out.choices[0].message.content == "fine"
    assert capfd.readouterr().err.count("agentdbg: cannot open trace file") == 1


def test_each_line_is_scanned_for_secrets_once(server, oai, trace_path, monkeypatch):
    """The session's check decides; the writer does not scan the same bytes again (and still masks)."""
    from agentdbg import secrets

    scanned: list[bytes] = []
    real = secrets._findings

    def counting(data):
        scanned.append(bytes(data))
        return real(data)

    monkeypatch.setattr(secrets, "_findings", counting)
    server.enqueue(reply("one"), reply("two"))
    with agentdbg.trace("scan-once", path=trace_path):
        oai.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "plain words"}])
        oai.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": f"k {OPENAI_KEY}"}])
    lines = trace_path.read_bytes().splitlines()
    assert len(lines) == 5
    assert OPENAI_KEY.encode() not in trace_path.read_bytes()
    assert b"sk-proj-[REDACTED]" in lines[3]
    for line in lines[1:3] + lines[4:]:  # clean lines: written as checked, after one scan
        assert scanned.count(line) == 1


def test_the_hint_scan_finds_exactly_the_shapes_a_scan_per_hint_finds(monkeypatch):
    """``secrets._findings`` (one Aho-Corasick pass) picks the shapes that looking for each hint and gate on its own
    picks, overlapping hints included (``secret=`` holds ``ecret``), and finds a known secret only where it is."""
    import random

    from agentdbg import secrets

    pieces = [
        "sk-",
        "k_live_",
        "AKIA",
        "ASI",
        "ecre",
        "ECRET",
        "gh",
        "p_",
        "github_pa",
        "AIza",
        "xo",
        "x",
        "hf",
        "_",
        "eyJ",
        "earer",
        "@",
        "=",
        "a",
        " ",
        "-",
        "t_",
    ]
    monkeypatch.setattr(secrets, "_state", secrets._state)  # the registered value is forgotten after the test
    monkeypatch.setattr(secrets, "_known_values", set(secrets._known_values))
    secrets.register_secret("known-value-0123")
    pieces += ["secret=", "://", "known-value-0123", "known-value", "key=", "token="]
    generator = random.Random(15)
    for _ in range(5000):
        text = "".join(generator.choice(pieces) for _ in range(generator.randint(0, 6)))
        expected = [
            number
            for number, shape in enumerate(secrets.SHAPES)
            if (not shape.gate or shape.gate in text) and any(hint in text for hint in shape.hints)
        ]
        shapes, known = secrets._findings(text.encode())
        assert shapes == expected, text
        assert (known is not None) == ("known-value-0123" in text), text
    # long texts are scanned in two parts, or pattern by pattern when the first part is dense with hints:
    # a hint anywhere, across the cut included, is found all the same
    filler = "plain words of a long tool result. "
    hinted = ["key=", "token=", "://", "eyJ", "hf_", "earer"]
    for _ in range(300):
        size = generator.choice([secrets._WINDOW - 40, secrets._WINDOW + 3000, 3 * secrets._WINDOW])
        chars = list((filler * (size // len(filler) + 1))[:size])
        dense = generator.random() < 0.3
        for _ in range(secrets._DENSE * 6 if dense else generator.randint(0, 3)):
            piece = generator.choice(hinted if dense and generator.random() < 0.8 else pieces)
            at = generator.choice([generator.randrange(size), secrets._WINDOW - generator.randint(1, 12)])
            chars[at : at + len(piece)] = piece
        text = "".join(chars)
        expected = [
            number
            for number, shape in enumerate(secrets.SHAPES)
            if (not shape.gate or shape.gate in text) and any(hint in text for hint in shape.hints)
        ]
        shapes, known = secrets._findings(text.encode())
        assert shapes == expected
        assert (known is not None) == ("known-value-0123" in text)
