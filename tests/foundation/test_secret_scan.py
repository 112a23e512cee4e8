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


def test_scan_finds_the_other_providers_token_shapes(tmp_path: Path) -> None:
    tokens = [
        "ghp_" + "a1B2" * 9,
        "github_pat_" + "x" * 30,
        "AIza" + "Sy" + "c" * 33,
        "xoxb-" + "1234567890-abcdef",
        "sk_live_" + "0123456789abcdef",
        "hf_" + "Ab1" * 11,
        "eyJ" + "hbGciOiJIUzI1NiJ9" + ".eyJ" + "zdWIiOiIxMjM0NTY3ODkwIn0" + ".signature_part_x",
    ]
    leak = tmp_path / "leak.jsonl"
    leak.write_text("\n".join(tokens))
    assert len(scan_for_secrets(tmp_path)) == len(tokens)
    leak.write_text("ghp_short hf_tiny [REDACTED] eyJshort.x.y")
    assert scan_for_secrets(tmp_path) == []
    leak.unlink()
