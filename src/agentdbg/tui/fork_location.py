"""Where ``r`` writes a fork: beside the user's own trace, else ``$AGENTDBG_DIR`` (default ``./traces``).

Never into a folder that is read-only or ships with agentdbg (the installed package, the
sample traces of a checkout, site-packages): a fork there is lost or pollutes the install.
Pure Python; the screen shows the ``note`` so the user knows where the fork went and why.
"""

from __future__ import annotations

import os
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import agentdbg
from agentdbg.capture.session import DEFAULT_DIR
from agentdbg.replay.result import default_fork_path


@dataclass(frozen=True)
class ForkLocation:
    path: Path
    note: str = ""  # why the fork is not beside the trace ("" when it is)


def shown(path: Path, cwd: Path | None = None) -> str:
    """``path`` as the user reads it: relative to the working directory when inside it."""
    base = (cwd or Path.cwd()).resolve()
    try:
        return str(path.resolve().relative_to(base))
    except ValueError:
        return str(path)


def shipped_dirs() -> list[Path]:
    """Folders that belong to an installation of agentdbg, not to the user."""
    package = Path(agentdbg.__file__).resolve().parent
    dirs = [package, package.parents[1] / "sample_traces"]  # a source checkout's samples
    for key in ("purelib", "platlib", "stdlib"):
        location = sysconfig.get_paths().get(key)
        if location:
            dirs.append(Path(location).resolve())
    return dirs


def _inside(path: Path, folders: list[Path]) -> Path | None:
    return next((folder for folder in folders if path == folder or folder in path.parents), None)


def fork_location(source: str, *, cwd: Path | None = None) -> ForkLocation:
    """The path for the next fork of ``source`` (never an existing file) and a note if it is elsewhere."""
    beside = default_fork_path(source)
    assert beside is not None
    folder = beside.parent.resolve()
    shipped = _inside(folder, shipped_dirs())
    if shipped is None and os.access(folder, os.W_OK):
        return ForkLocation(beside)
    reason = "ships with agentdbg" if shipped is not None else "is read-only"
    configured = os.environ.get("AGENTDBG_DIR")
    target = Path(configured) if configured else (cwd or Path.cwd()) / DEFAULT_DIR
    where = "$AGENTDBG_DIR" if configured else f"./{DEFAULT_DIR}"
    target.mkdir(parents=True, exist_ok=True)
    path = default_fork_path(str(target / Path(source).name))
    assert path is not None
    return ForkLocation(path, f"{folder.name}/ {reason}, so the fork goes to {where}")
