"""YAML with bounded alias expansion: a billion-laughs document or a self-referential anchor is refused.

PyYAML's safe loader shares the object an alias points at, so loading is cheap; the cost
comes later, when an importer walks or serialises the data and every alias is expanded.
We compose the node graph first (no expansion), count the nodes the document expands to
(memoised per node, so the count itself is linear) and reject cycles, then construct.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from agentdbg.errors import ImportFormatError

MAX_EXPANDED_NODES = 1_000_000  # nodes after expanding every alias; real cassettes have a few thousand


class _SafeLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe loader, reading Ruby's ``!binary`` tag (Ruby VCR cassettes) as YAML's ``!!binary``."""


_SafeLoader.add_constructor("!binary", yaml.SafeLoader.construct_yaml_binary)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def check_expansion(root: yaml.Node, path: Path, limit: int = MAX_EXPANDED_NODES) -> int:
    """The number of nodes ``root`` expands to; raises on a cycle or past ``limit``."""
    sizes: dict[int, int] = {}
    ancestors: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            ancestors.discard(key)
            size = 1 + sum(sizes[id(child)] for child in _children(node))
            if size > limit:
                raise ImportFormatError(
                    f"{path}: YAML aliases expand to more than {limit:,} nodes (line {node.start_mark.line + 1}; "
                    "a billion-laughs document?); refused"
                )
            sizes[key] = size
            continue
        if key in sizes:
            continue
        if key in ancestors:
            raise ImportFormatError(
                f"{path}: a YAML anchor refers to itself (line {node.start_mark.line + 1}); "
                "cyclic documents are refused"
            )
        ancestors.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node))
    return sizes[id(root)]


def load_yaml(raw: bytes, path: Path) -> Any:
    """``yaml.safe_load`` of ``raw`` with alias expansion bounded and cycles rejected.

    Raises:
        yaml.YAMLError: the text is not YAML.
        ImportFormatError: a cycle, or more than ``MAX_EXPANDED_NODES`` after expansion.
    """
    loader = _SafeLoader(raw)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        check_expansion(node, path)
        return loader.construct_document(node)
    finally:
        loader.dispose()
