"""Suite-wide guards: no file a test writes may contain an API key or auth header value."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

# Key-shaped strings: OpenAI/Anthropic keys, AWS access key ids, bearer tokens.
SECRET_PATTERNS = re.compile(
    rb"(sk-(?:ant-|proj-)?[A-Za-z0-9_\-]{20,}|AKIA[0-9A-Z]{16}|[Bb]earer\s+[A-Za-z0-9._\-]{20,})"
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
