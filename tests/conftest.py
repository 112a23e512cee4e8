"""Suite-wide guards: no file a test writes may contain an API key or auth header value."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

# Key-shaped strings, written out here independently of ``agentdbg.secrets`` (a guard that reused the
# masker's own rules could not catch a rule that is wrong): OpenAI/Anthropic keys, AWS access key ids,
# bearer tokens, GitHub, Google, Slack, Stripe and Hugging Face tokens, JWTs.
SECRET_PATTERNS = re.compile(
    rb"(sk-(?:ant-|proj-)?[A-Za-z0-9_\-]{20,}|AKIA[0-9A-Z]{16}|[Bb]earer\s+[A-Za-z0-9._\-]{20,}"
    rb"|gh[pousr]_[A-Za-z0-9_]{30,}|github_pat_[A-Za-z0-9_]{22,}|AIza[0-9A-Za-z_\-]{30,}"
    rb"|xox[abposr]-[0-9A-Za-z\-]{10,}|[sr]k_live_[0-9A-Za-z]{10,}|hf_[A-Za-z0-9]{30,}"
    rb"|eyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,})"
)
_SCAN_LIMIT = 64 * 1024 * 1024


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "writes_secrets(reason): the test deliberately writes key-shaped strings as INPUT files; skip the secret scan",
    )


def scan_for_secrets(root: Path) -> list[str]:
    """Every ``file: match`` under ``root`` that looks like a secret."""
    hits: list[str] = []
    for path in root.rglob("*"):
        if not path.is_file() or path.stat().st_size > _SCAN_LIMIT:
            continue
        for match in SECRET_PATTERNS.finditer(path.read_bytes()):
            hits.append(f"{path}: {match.group()[:12]!r}…")
    return hits


@pytest.fixture(autouse=True)
def _no_secrets_in_written_files(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each test that used ``tmp_path``, scan everything it wrote for key patterns."""
    if "tmp_path" not in request.fixturenames or request.node.get_closest_marker("writes_secrets"):
        yield
        return
    tmp_path: Path = request.getfixturevalue("tmp_path")
    yield
    hits = scan_for_secrets(tmp_path)
    assert not hits, "secret-shaped strings reached files written by this test:\n" + "\n".join(hits)
