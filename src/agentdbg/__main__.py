"""``python -m agentdbg``."""

from agentdbg.cli import main

main()
