"""Which files an MCP client may name: everything it passes must resolve to a path under the server's roots."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from agentdbg.errors import AgentdbgError, PathOutsideRootsError


@dataclass(frozen=True)
class Roots:
    """The directories the server may read (and write forks in); the first one resolves relative paths."""

    directories: tuple[Path, ...]

    @classmethod
    def of(cls, directories: list[str] | None) -> Roots:
        chosen = directories or [os.getcwd()]
        resolved = []
        for directory in chosen:
            path = Path(directory).expanduser().resolve()
            if not path.is_dir():
                raise AgentdbgError(f"--root {directory}: not a directory")
            resolved.append(path)
        return cls(tuple(resolved))

    def resolve(self, path: str, *, must_exist: bool = True) -> Path:
        """``path`` (absolute, or relative to the first root) resolved through links, checked to lie under a root.

        Raises:
            PathOutsideRootsError: it resolves outside every root.
            AgentdbgError: ``must_exist`` and there is no such file or directory.
        """
        if not isinstance(path, str) or not path.strip():
            raise AgentdbgError("a path is required")
        candidate = Path(path).expanduser()
        if not candidate.is_absolute():
            candidate = self.directories[0] / candidate
        resolved = candidate.resolve()
        if not any(resolved == root or resolved.is_relative_to(root) for root in self.directories):
            raise PathOutsideRootsError(
                f"{path}: outside the server's roots",
                hint="roots: " + ", ".join(str(root) for root in self.directories)
                + " (start the server with `agentdbg mcp --root DIR` to allow another)",
            )
        if must_exist and not resolved.exists():
            raise AgentdbgError(f"{path}: no such file")
        return resolved

    def fork_path(self, source: Path) -> Path:
        """A new file beside ``source`` for a fork (``run.fork.jsonl``, ``run.fork-2.jsonl``, …), never an existing one."""
        stem = source.name.removesuffix(".jsonl")
        for number in range(1, 1000):
            suffix = ".fork.jsonl" if number == 1 else f".fork-{number}.jsonl"
            candidate = source.with_name(stem + suffix)
            if not candidate.exists():
                return self.resolve(str(candidate), must_exist=False)
        raise AgentdbgError(f"too many forks beside {source}; remove some")


__all__ = ["PathOutsideRootsError", "Roots"]
