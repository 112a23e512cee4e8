"""Credentials never reach a written file: URL userinfo and query values, the client's own key, more key shapes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import openai
import pytest

import agentdbg
from agentdbg import secrets
from agentdbg.replay import replay
from agentdbg.secrets import mask_secret_bytes, mask_secrets
from agentdbg.store import read_trace
from agentdbg.testing.llm_server import FakeLLMServer, error_reply, reply

# Built from pieces so this file holds no key-shaped literal.
PASSWORD = "hunter2" + "pass"
PLAIN_KEY = "corp-gateway-" + "token-77aa91"  # not key-shaped: only masking by value can catch it
SHAPES = {
    "ghp": "ghp_" + "A1b2C3d4E5" * 3 + "F6g7H8",
    "github_pat": "github_pat_" + "11ABCDEFG0" * 4,
    "jwt": "eyJhbGciOiJIUzI1NiJ9" + ".eyJzdWIiOiIxMjM0NTY3ODkwIn0" + ".dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "google": "AIza" + "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q",
    "slack": "xoxb-" + "1234567890-0987654321-AbCdEfGhIjKlMnOp",
    "huggingface": "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYz12345678",
    "stripe": "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "short_openai": "sk-" + "ab12cd",
}
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"


def _run(*args: str, home: Path) -> subprocess.CompletedProcess[bytes]:
    proc = subprocess.run(
        [sys.executable, "-m", "agentdbg", *args], capture_output=True, timeout=120, env={"PATH": "", "HOME": str(home)}
    )
    assert b"Traceback" not in proc.stderr, proc.stderr.decode()
    return proc


def test_clean_url_drops_userinfo_and_query_values() -> None:
    assert secrets.clean_url(f"http://u:{PASSWORD}@host:8080/v1?api-key=KEY&api-version=2024") == (
        "http://host:8080/v1?api-key=[REDACTED]&api-version=[REDACTED]"
    )
    assert secrets.clean_url("https://api.openai.com/v1") == "https://api.openai.com/v1"
    assert secrets.clean_url("http://[::1]:9/x?k") == "http://[::1]:9/x?k=[REDACTED]"


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_more_key_shapes_are_masked(name: str) -> None:
    secret = SHAPES[name]
    masked = mask_secrets(f"the value is {secret} here")
    assert secret not in masked and "[REDACTED]" in masked
    assert secret.encode() not in mask_secret_bytes(f'{{"v": "{secret}"}}'.encode())


def test_aws_secret_access_key_is_masked_next_to_its_name() -> None:
    for text in (f"AWS_SECRET_ACCESS_KEY={AWS_SECRET}", f'{{"aws_secret_access_key": "{AWS_SECRET}"}}'):
        assert AWS_SECRET not in mask_secrets(text)
        assert AWS_SECRET.encode() not in mask_secret_bytes(text.encode())
    assert mask_secret_bytes(b'{"AWS_SECRET_ACCESS_KEY":"' + AWS_SECRET.encode() + b'"}') == (
        b'{"AWS_SECRET_ACCESS_KEY":"[REDACTED]"}'
    )


def test_ordinary_text_is_left_alone() -> None:
    text = "task-12 sk-short skills; see https://example.com/a?q=cats&page=2 and user@example.com"
    assert mask_secrets(text) == text


def test_url_password_and_secret_query_in_content_are_masked() -> None:
    masked = mask_secrets(f"curl http://admin:{PASSWORD}@db.local/x?token=abc123&page=2")
    assert PASSWORD not in masked and "abc123" not in masked and "page=2" in masked


def test_capture_writes_base_url_without_password_and_masks_the_echoed_key(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    with FakeLLMServer() as server:
        host = server.base_url.split("://", 1)[1]
        client = agentdbg.wrap_openai(
            openai.OpenAI(base_url=f"http://svc:{PASSWORD}@{host}/v1", api_key=PLAIN_KEY, max_retries=0)
        )
        server.enqueue(reply("hi"), error_reply(401, f"Incorrect API key provided: {PLAIN_KEY}."))
        with agentdbg.trace("creds", path=path):
            client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
            with pytest.raises(openai.AuthenticationError):
                client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "again"}])
    raw = path.read_bytes()
    assert PASSWORD.encode() not in raw and PLAIN_KEY.encode() not in raw
    trace = read_trace(path)
    assert trace.spans[0].attributes["base_url"] == f"http://{host}/v1/"
    assert "Incorrect API key provided: [REDACTED]" in trace.spans[1].error.message
    out = tmp_path / "out"
    out.mkdir()
    _run("export", str(path), "--format", "otlp-json", "-o", str(out / "t.json"), home=tmp_path)
    _run("export", str(path), "--format", "html", "-o", str(out / "t.html"), home=tmp_path)
    for written in out.iterdir():
        assert PASSWORD.encode() not in written.read_bytes()


def test_exports_of_an_old_trace_hold_no_url_password(tmp_path: Path) -> None:
    old = tmp_path / "old.jsonl"
    old.write_text(
        '{"type":"trace","schema_version":1,"trace_id":"t","name":"old"}\n'
        '{"type":"span","id":"a","kind":"llm","name":"chat","started_at":1,"ended_at":2,'
        f'"attributes":{{"base_url":"http://u:{PASSWORD}@h/v1?api-key=AZUREKEY1"}}}}\n'
    )
    out = tmp_path / "out"
    out.mkdir()
    _run("export", str(old), "--format", "otlp-json", "-o", str(out / "t.json"), home=tmp_path)
    _run("export", str(old), "--format", "html", "-o", str(out / "t.html"), home=tmp_path)
    _run("import", str(old), "-o", str(out / "t.jsonl"), home=tmp_path)
    for written in out.iterdir():
        data = written.read_bytes()
        assert PASSWORD.encode() not in data and b"AZUREKEY1" not in data, written.name


def test_replay_base_url_is_written_without_userinfo_or_query(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", PLAIN_KEY)
    path = tmp_path / "run.jsonl"
    with FakeLLMServer() as server:
        host = server.base_url.split("://", 1)[1]
        client = agentdbg.wrap_openai(openai.OpenAI(base_url=server.base_url + "/v1", api_key="test-key"))
        server.enqueue(reply("first"))
        with agentdbg.trace("r", path=path):
            client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
        server.enqueue(reply(f"the server echoes {PLAIN_KEY}"))
        result = replay(path, "step-1", base_url=f"http://u:{PASSWORD}@{host}/v1?api-key=AZUREKEY1")
    data = Path(result.fork_path).read_bytes()
    assert PASSWORD.encode() not in data and b"AZUREKEY1" not in data and PLAIN_KEY.encode() not in data
    fork = read_trace(result.fork_path)
    assert fork.spans[-1].attributes["base_url"] == f"http://{host}/v1?api-key=[REDACTED]"


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_masking_twice_changes_nothing_more(name: str) -> None:
    text = f"a {SHAPES[name]} and sk-ant-api03-{'Zx' * 20} and AWS_SECRET_ACCESS_KEY={AWS_SECRET}"
    once = mask_secrets(text)
    assert mask_secrets(once) == once
    assert mask_secret_bytes(once.encode()) == once.encode()
