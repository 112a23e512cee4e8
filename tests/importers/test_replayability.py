"""Every importer says, for each llm step, whether it can be re-sent and why (not)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentdbg.importers import open_trace
from tests.importers.corpus import CORPUS, DATA, EXPECTED_FORMAT

FIXTURES = sorted(
    p
    for p in DATA.rglob("*")
    if p.is_file() and p.suffix in (".json", ".jsonl", ".md", ".history") and "subagents" not in p.parts
)
FILES = [CORPUS / name for name in EXPECTED_FORMAT] + [p for p in FIXTURES if p.name != "MANIFEST.tsv"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(p.parents[1])))
def test_each_llm_step_says_whether_it_can_be_replayed(path: Path) -> None:
    trace = open_trace(path)
    for span in trace.llm_spans:
        replayable = span.llm is not None and span.llm.replayable
        if replayable:
            assert span.attributes.get("replay_note"), f"{span.address} replayable without a note"
        else:
            assert span.attributes.get("not_replayable_because"), f"{span.address} not replayable, no reason"
