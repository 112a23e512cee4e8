"""Tool functions for replaying the sample traces with their fixes (``--tools sample_traces.fixes.tools:TOOLS``).

They return what the sample agents' tools return, so a fork can call tools the original run never called.
"""

from __future__ import annotations


def create_ticket(summary: str, priority: str = "normal") -> dict:
    return {"ticket": "IT-20931", "summary": summary, "priority": priority}


def cancel_subscription(customer_id: str, at_period_end: bool = True) -> dict:
    return {"customer_id": customer_id, "cancelled": True, "access_until": "2027-01-14"}


def run_sql(sql: str, max_rows: int = 100) -> dict:
    if not isinstance(max_rows, int):
        raise TypeError(f"max_rows must be an integer, got {max_rows!r}")
    return {"columns": ["month", "revenue_usd"], "rows": [["2026-09", 182340], ["2026-10", 201775]]}


TOOLS = {"create_ticket": create_ticket, "cancel_subscription": cancel_subscription, "run_sql": run_sql}
