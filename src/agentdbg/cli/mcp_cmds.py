"""``mcp``: serve agentdbg's tools to a coding agent over the Model Context Protocol (stdio)."""

from __future__ import annotations

from typing import Annotated

import typer

from agentdbg.cli import app
from agentdbg.cli.common import user_errors
from agentdbg.errors import ExtraMissingError


@app.command()
def mcp(
    root: Annotated[
        list[str] | None,
        typer.Option(
            "--root",
            metavar="DIR",
            help="A directory the client may read traces under (repeatable; default: the working directory). "
            "Forks are written beside their source, inside a root.",
        ),
    ] = None,
) -> None:
    """Run an MCP server on stdio so a coding agent can read, diagnose and replay traces.

    Claude Code: `claude mcp add agentdbg -- agentdbg mcp --root .` · Cursor: a server entry with
    command `agentdbg` and args `["mcp", "--root", "."]`. Needs `pip install 'agentdbg[mcp]'`.
    """
    with user_errors():
        try:
            import mcp as _sdk  # noqa: F401
        except ImportError as exc:
            raise ExtraMissingError(
                "the MCP server needs the official mcp SDK", hint="pip install 'agentdbg[mcp]'"
            ) from exc
        from agentdbg.mcp_server.server import serve

        serve(root)
