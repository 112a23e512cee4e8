"""Loads every ``cli/*_cmds.py`` module so each can add its commands to the app."""

from __future__ import annotations

import importlib
import pkgutil


def load_command_modules() -> None:
    import agentdbg.cli as package

    for module in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if module.name.endswith("_cmds"):
            importlib.import_module(f"agentdbg.cli.{module.name}")
