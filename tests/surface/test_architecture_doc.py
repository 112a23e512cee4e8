"""``docs/ARCHITECTURE.md`` keeps up with the code: every package and top-level module has a row."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "agentdbg"


def _table_names() -> str:
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    return "\n".join(line.split("|")[1] for line in text.splitlines() if line.startswith("| `"))


def test_every_package_and_module_of_src_agentdbg_has_a_row() -> None:
    first_column = _table_names()
    packages = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
    modules = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(packages) >= 15
    missing = [f"{name}/" for name in packages if f"`{name}/`" not in first_column]
    missing += [name for name in modules if f"`{name}`" not in first_column]
    assert missing == []


def test_the_codec_package_is_named_as_the_one_place_that_knows_each_wire_format() -> None:
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    assert "**`wire/` is the one place that knows each wire format**" in text
    codecs = sorted(p.stem for p in (PACKAGE / "wire").glob("*.py") if p.stem not in ("__init__", "sse", "neutral"))
    assert codecs == ["anthropic_messages", "openai_chat", "openai_responses"]
    assert all(f"`{name}.py`" in text for name in codecs)
