"""The suite-wide secret scan catches key-shaped strings (so its silence means something)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import scan_for_secrets


def test_scan_finds_each_key_shape(tmp_path: Path) -> None:
    sample = tmp_path / "leak.txt"
    fake_openai = "sk-" + "proj-" + "A1b2C3d4E5f6G7h8I9j0K1l2"
    fake_anthropic = "sk-" + "ant-" + "api03-" + "x" * 30
    fake_aws = "AKIA" + "ABCDEFGHIJKLMNOP"
    fake_bearer = "Bearer " + "eyJhbGciOiJIUzI1NiJ9.abcdefghijkl"
    sample.write_text(f"{fake_openai}\n{fake_anthropic}\n{fake_aws}\n{fake_bearer}\n")
    hits = scan_for_secrets(tmp_path)
    assert len(hits) == 4
    sample.unlink()  # leave nothing behind for the autouse scan of this very test
    (tmp_path / "clean.txt").write_text("api_key=test-key sk-short")
    assert scan_for_secrets(tmp_path) == []
