"""The ``agentdbg`` command line: thin typer commands over the library.

Each command lives in its own module under ``cli/`` and registers on ``app``.
Heavy imports (SDKs, textual) happen inside the commands, so ``--help`` is fast.
"""

from __future__ import annotations

import sys

import typer

from agentdbg.errors import AgentdbgError

app = typer.Typer(
    name="agentdbg",
    help="Debug failed AI-agent runs: capture, inspect, replay and diagnose agent traces.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
    rich_markup_mode=None,
)

def _print_version(value: bool) -> None:
    if value:
        from agentdbg import __version__

        typer.echo(f"agentdbg {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", help="Print the version and exit.", callback=_print_version, is_eager=True
    ),
) -> None:
    """Debug failed AI-agent runs: capture, inspect, replay and diagnose agent traces."""


# Command modules register themselves on ``app`` when imported.
from agentdbg.cli import registry  # noqa: E402

registry.load_command_modules(registry.wanted_module(sys.argv))


def main() -> None:
    """Console-script entry point: run the app, turning ``AgentdbgError`` into stderr + exit code."""
    try:
        app()
    except AgentdbgError as exc:  # raised outside a command body (rare)
        from agentdbg.cli.output import print_error

        print_error(exc)
        sys.exit(exc.exit_code)


__all__ = ["app", "main"]
