"""Hostile ``.eval`` archives: damaged members become named problems, inflation is capped, nothing crashes."""

from __future__ import annotations

import json
import struct
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentdbg.cli import app
from agentdbg.errors import ImportFormatError
from agentdbg.importers import _inspect_log, open_trace
from tests.hardening.limits import run_bounded

HEADER = {"version": 2, "status": "success", "eval": {"task": "t", "model": "openai/gpt-4o"}}


def sample(number: int) -> dict[str, object]:
    return {
        "id": number,
        "epoch": 1,
        "input": "hi",
        "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": f"answer {number}"}],
    }


def write_eval(path: Path, members: dict[str, bytes], level: int = 6) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        archive.writestr("header.json", json.dumps(HEADER))
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def good_members(count: int = 3) -> dict[str, bytes]:
    return {f"samples/{n}_epoch_1.json": json.dumps(sample(n)).encode() for n in range(1, count + 1)}


def patch_member(path: Path, name: str, *, flags: int | None = None, method: int | None = None, flip: bool = False) -> None:
    """Rewrite one member's local and central headers (flags, compression method) or damage its data."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(name)
    local = info.header_offset
    central = _central_offset(data, name)
    if flags is not None:
        struct.pack_into("<H", data, local + 6, flags)
        struct.pack_into("<H", data, central + 8, flags)
    if method is not None:
        struct.pack_into("<H", data, local + 8, method)
        struct.pack_into("<H", data, central + 10, method)
    if flip:
        name_length, extra_length = struct.unpack_from("<HH", data, local + 26)
        start = local + 30 + name_length + extra_length
        for offset in range(start, start + min(info.compress_size, 16)):
            data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def _central_offset(data: bytearray, name: str) -> int:
    position = 0
    while True:
        position = data.index(b"PK\x01\x02", position)
        length = struct.unpack_from("<H", data, position + 28)[0]
        if data[position + 46 : position + 46 + length] == name.encode():
            return position
        position += 4


DAMAGE = {
    "corrupt-deflate": {"flip": True},
    "encrypted": {"flags": 0x1},
    "method-99": {"method": 99},
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_member_is_a_named_problem_and_the_rest_loads(tmp_path: Path, damage: str) -> None:
    path = write_eval(tmp_path / "log.eval", good_members())
    patch_member(path, "samples/2_epoch_1.json", **DAMAGE[damage])  # type: ignore[arg-type]
    trace = open_trace(path)
    assert any("samples/2_epoch_1.json" in p.message and "sample skipped" in p.message for p in trace.problems)
    texts = json.dumps([span.to_record() for span in trace.spans], default=str)
    assert "answer 1" in texts and "answer 3" in texts and "answer 2" not in texts
    result = CliRunner().invoke(app, ["show", "--print", str(path)])
    assert result.exit_code == 0 and result.exception is None or isinstance(result.exception, SystemExit)
    found = CliRunner().invoke(app, ["search", str(tmp_path), "--text", "answer"])
    assert found.exit_code == 0, found.stderr


def test_a_damaged_header_member_is_a_problem(tmp_path: Path) -> None:
    path = write_eval(tmp_path / "log.eval", good_members(1))
    patch_member(path, "header.json", method=99)
    trace = open_trace(path)
    assert any("header.json" in p.message for p in trace.problems)


def test_a_member_over_the_cap_is_refused_in_bounded_memory_and_time(tmp_path: Path) -> None:
    bomb = {"samples/1_epoch_1.json": b'{"id": 1, "x": "' + b" " * (200 * 1024 * 1024) + b'"}'}
    path = write_eval(tmp_path / "bomb.eval", bomb, level=1)
    assert path.stat().st_size < 2 * 1024 * 1024
    figures = run_bounded([sys.executable, "-m", "agentdbg", "show", "--print", str(path)])
    assert figures.returncode == 2 and figures.seconds < 30 and figures.max_rss_mib < 1024, figures
    message = figures.stderr.strip()
    assert len(message.splitlines()) == 1 and str(path) in message and "over the 64 MiB" in message


def test_a_member_that_lies_about_its_size_is_cut_at_the_declared_size(tmp_path: Path) -> None:
    path = write_eval(tmp_path / "liar.eval", {"samples/1_epoch_1.json": b" " * (8 * 1024 * 1024)}, level=1)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("samples/1_epoch_1.json")
    struct.pack_into("<I", data, info.header_offset + 22, 100)  # uncompressed size, local header
    struct.pack_into("<I", data, _central_offset(data, info.filename) + 24, 100)  # and central
    path.write_bytes(bytes(data))
    trace = open_trace(path)
    assert any("samples/1_epoch_1.json" in p.message for p in trace.problems)


def test_the_total_inflated_size_is_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_inspect_log, "MAX_ARCHIVE_BYTES", 3 * 1024 * 1024)
    members = {f"samples/{n}_epoch_1.json": b'{"x": "' + b" " * (1024 * 1024) + b'"}' for n in range(5)}
    path = write_eval(tmp_path / "many.eval", members, level=1)
    with pytest.raises(ImportFormatError, match="all members may hold"):
        open_trace(path)
