"""The flat list of tree rows currently visible, given which steps are collapsed.

The tree view draws ``visible[scroll_y:scroll_y + height]`` only, so a 100k-step trace costs
one list, not 100k widgets. Collapsing or expanding splices one contiguous slice.
"""

from __future__ import annotations

from agentdbg.tui.steps import StepTable


class VisibleRows:
    """Depth-first step numbers of the visible rows, with per-step collapsed state."""

    def __init__(self, table: StepTable) -> None:
        self.table = table
        self.collapsed: set[int] = set()
        self.steps: list[int] = []
        self._position: dict[int, int] | None = None

    def __len__(self) -> int:
        return len(self.steps)

    def rebuild(self) -> None:
        """Recompute every visible row from the table (after a load batch)."""
        self.steps = self._subtree_rows(self.table.roots)
        self._position = None

    def _subtree_rows(self, starts: list[int]) -> list[int]:
        rows = self.table.rows
        out: list[int] = []
        stack = list(reversed(starts))
        while stack:
            step = stack.pop()
            out.append(step)
            if step not in self.collapsed:
                stack.extend(reversed(rows[step - 1].children))
        return out

    def index_of(self, step: int) -> int | None:
        """Row index of ``step`` if it is visible."""
        if self._position is None:
            self._position = {s: i for i, s in enumerate(self.steps)}
        return self._position.get(step)

    def _end_of_subtree(self, index: int) -> int:
        depth = self.table.rows[self.steps[index] - 1].depth
        end = index + 1
        rows = self.table.rows
        while end < len(self.steps) and rows[self.steps[end] - 1].depth > depth:
            end += 1
        return end

    def collapse(self, step: int) -> bool:
        """Hide the descendants of ``step``; False if it has none or is already collapsed."""
        if not self.table.rows[step - 1].children or step in self.collapsed:
            return False
        index = self.index_of(step)
        self.collapsed.add(step)
        if index is not None:
            del self.steps[index + 1 : self._end_of_subtree(index)]
            self._position = None
        return True

    def expand(self, step: int) -> bool:
        """Show the children of ``step`` again (respecting collapsed descendants)."""
        if step not in self.collapsed:
            return False
        self.collapsed.discard(step)
        index = self.index_of(step)
        if index is not None:
            self.steps[index + 1 : index + 1] = self._subtree_rows(self.table.rows[step - 1].children)
            self._position = None
        return True

    def toggle(self, step: int) -> bool:
        return self.expand(step) if step in self.collapsed else self.collapse(step)

    def reveal(self, step: int) -> int:
        """Expand every collapsed ancestor of ``step`` and return its row index."""
        changed = False
        for ancestor in reversed(self.table.ancestors(step)):
            if ancestor in self.collapsed:
                self.collapsed.discard(ancestor)
                changed = True
        if changed:
            self.rebuild()
        index = self.index_of(step)
        assert index is not None
        return index

    def append(self, step: int) -> bool:
        """A new step arrived at the end of the file: add it if no ancestor is collapsed.

        The common case (its parent's subtree ends the list) is O(depth); otherwise it is
        inserted after its parent's last visible descendant.
        """
        rows = self.table.rows
        row = rows[step - 1]
        if any(a in self.collapsed for a in self.table.ancestors(step)):
            return False
        at_end = row.parent == 0
        if not at_end and self.steps:
            cursor = self.steps[-1]
            while cursor and cursor != row.parent:
                cursor = rows[cursor - 1].parent
            at_end = cursor == row.parent
        if at_end:
            self.steps.append(step)
            if self._position is not None:
                self._position[step] = len(self.steps) - 1
            return True
        parent_index = self.index_of(row.parent)
        if parent_index is None:
            return False
        self.steps.insert(self._end_of_subtree(parent_index), step)
        self._position = None
        return True
