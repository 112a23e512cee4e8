"""Domain code never imports rich or textual (checked in a fresh interpreter)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import agentdbg

DOMAIN = ["model", "store", "capture", "providers", "replay", "analysis", "importers", "exporters", "explain", "testing"]


def test_domain_modules_import_neither_rich_nor_textual() -> None:
    modules = []
    for package in DOMAIN:
        modules.append(f"agentdbg.{package}")
        path = [f"{agentdbg.__path__[0]}/{package}"]
        modules.extend(f"agentdbg.{package}.{m.name}" for m in pkgutil.walk_packages(path) if not m.name.startswith("_"))
    code = (
        "import importlib, sys\n"
        "import agentdbg.secrets, agentdbg.textsafe, agentdbg.errors\n"
        f"for name in {modules!r}:\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except ModuleNotFoundError as exc:\n"
        "        if exc.name and exc.name.startswith('agentdbg'):\n"
        "            continue\n"
        "        raise\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('rich', 'textual'))\n"
        "print(','.join(bad))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "", f"domain code pulled in: {proc.stdout.strip()}"
    assert len(modules) > 10
