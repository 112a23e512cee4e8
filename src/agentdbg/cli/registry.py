"""Loads the ``cli/*_cmds.py`` modules so each can add its commands to the app.

A command module's imports cost start-up time on every run, so the ``agentdbg`` process itself
(``python -m agentdbg``, the console script) loads only the module of the command it was asked
for when ``COMMAND_MODULES`` names it (the commands that read one trace through the index, whose
whole run is often shorter than loading every module); anything else (``--help``, another
command, a library or test importing ``agentdbg.cli``) loads them all.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys

# command -> the module that registers it (tests/store/test_cli_registry.py checks it against the app)
COMMAND_MODULES = {"show": "show_cmds", "validate": "show_cmds", "schema": "show_cmds", "replay": "replay_cmds"}


def load_command_modules(only: str | None = None) -> None:
    """Import every command module, or just ``only`` (a name from ``COMMAND_MODULES``)."""
    if only is not None:
        importlib.import_module(f"agentdbg.cli.{only}")
        return
    import agentdbg.cli as package

    for module in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if module.name.endswith("_cmds"):
            importlib.import_module(f"agentdbg.cli.{module.name}")


def wanted_module(argv: list[str]) -> str | None:
    """The one command module this process needs, if it is the ``agentdbg`` command running one of
    ``COMMAND_MODULES``' commands; ``None`` (load all) otherwise."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    if spec is not None:
        is_cli = spec.name == "agentdbg.__main__"  # python -m agentdbg
    else:
        is_cli = bool(argv) and os.path.basename(argv[0]) == "agentdbg"  # the console script
    if not is_cli:
        return None
    command = next((arg for arg in argv[1:] if not arg.startswith("-")), None)
    return COMMAND_MODULES.get(command) if command is not None else None
