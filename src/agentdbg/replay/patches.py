"""Edits to a step's document: RFC 6902 JSON Patch (a list of ops), RFC 7396 merge patch (an object), ``--set``."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import json_merge_patch
import jsonpatch
import jsonpointer

from agentdbg.errors import PatchError

# What a filled-in template must not still contain (see ``engine`` needs-tool-result).
TEMPLATE_PLACEHOLDER = "<fill in the tool result>"


def load_patch(path: str | Path) -> Any:
    """The patch in a JSON file (a list = JSON Patch, an object = merge patch).

    Raises:
        PatchError: when the file cannot be read or is not JSON.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise PatchError(f"cannot read patch file {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise PatchError(f"patch file {path} is not UTF-8 text: {exc.reason} at byte {exc.start}") from exc
    try:
        return json.loads(text)
    except ValueError as exc:
        raise PatchError(f"patch file {path} is not JSON: {exc}") from exc


def parse_set(assignment: str) -> dict[str, Any]:
    """``PATH=JSON`` (``/system="Be brief"``) as one JSON Patch ``add`` op (replaces when present).

    A value that is not valid JSON is taken as a plain string, so ``/model=gpt-4o`` works.
    """
    path, sep, raw = assignment.partition("=")
    if not sep:
        raise PatchError(f"--set {assignment!r}: expected PATH=JSON, e.g. /params/temperature=0")
    path = path.strip()
    if not path.startswith("/"):
        path = "/" + path.replace(".", "/")
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    return {"op": "add", "path": path, "value": value}


def _describe(op: Any) -> str:
    if isinstance(op, dict):
        return f"op {op.get('op')!r} at path {op.get('path')!r}"
    return f"op {op!r}"


def _short(exc: Exception, limit: int = 160) -> str:
    """The library's reason without the whole document it sometimes quotes."""
    reason = str(exc).split(" in {", 1)[0].split(" in [", 1)[0]
    return reason if len(reason) <= limit else reason[:limit] + "…"


def document_paths(document: Any, limit: int = 14) -> list[str]:
    """The JSON Pointer paths a patch can touch, two levels deep (lists as a range), for error hints."""
    paths: list[str] = []
    if not isinstance(document, dict):
        return paths
    for key, value in document.items():
        paths.append(f"/{key}")
        if isinstance(value, dict):
            paths.extend(f"/{key}/{inner}" for inner in list(value)[:6])
        elif isinstance(value, list) and value:
            paths.append(f"/{key}/0" if len(value) == 1 else f"/{key}/0 … /{key}/{len(value) - 1}")
    return paths[:limit]


def _apply_json_patch(document: Any, ops: list[Any]) -> Any:
    result = copy.deepcopy(document)
    for number, op in enumerate(ops, start=1):
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise PatchError(f"patch op #{number} ({_describe(op)}) needs 'op' and 'path' keys (RFC 6902)")
        try:
            result = jsonpatch.JsonPatch([op]).apply(result, in_place=False)
        except jsonpatch.JsonPatchTestFailed as exc:
            raise PatchError(f"patch op #{number} ({_describe(op)}): test failed: {exc}") from exc
        except (
            jsonpatch.JsonPatchConflict,
            jsonpatch.InvalidJsonPatch,
            jsonpointer.JsonPointerException,
        ) as exc:
            paths = ", ".join(document_paths(result))
            raise PatchError(
                f"patch op #{number} ({_describe(op)}) does not apply: {_short(exc)}",
                hint=f"this document's paths: {paths} (all of it: --show-document)"
                if paths
                else "see the paths a patch can touch with --show-document",
            ) from exc
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise PatchError(f"patch op #{number} ({_describe(op)}) does not apply: {exc!r}") from exc
    return result


def apply_patch(document: Any, patch: Any) -> Any:
    """``document`` with ``patch`` applied (never modified in place).

    Args:
        document: The step's editable document.
        patch: A list (RFC 6902 JSON Patch) or an object (RFC 7396 merge patch); ``None`` is no change.

    Raises:
        PatchError: naming the op, the path and the reason when it does not apply.
    """
    if patch is None:
        return copy.deepcopy(document)
    if isinstance(patch, list):
        return _apply_json_patch(document, patch)
    if isinstance(patch, dict):
        if not isinstance(document, dict):
            raise PatchError("a merge patch (object) applies only to an object document")
        return json_merge_patch.merge(copy.deepcopy(document), copy.deepcopy(patch))
    raise PatchError(
        f"a patch must be a JSON list (RFC 6902 JSON Patch) or an object (RFC 7396 merge patch), not {type(patch).__name__}"
    )


def combine(patch: Any, assignments: list[str]) -> Any:
    """One patch from a patch file's content and ``--set`` assignments (applied after it)."""
    ops = [parse_set(item) for item in assignments]
    if not ops:
        return patch
    if patch is None:
        return ops
    if isinstance(patch, list):
        return [*patch, *ops]
    return {"merge": patch, "then": ops}


def apply_any(document: Any, patch: Any) -> Any:
    """Like ``apply_patch`` but also accepts the ``{"merge": ..., "then": [...]}`` shape ``combine`` makes."""
    if isinstance(patch, dict) and set(patch) == {"merge", "then"} and isinstance(patch["then"], list):
        return apply_patch(apply_patch(document, patch["merge"]), patch["then"])
    return apply_patch(document, patch)


def contains_placeholder(value: Any) -> bool:
    """Whether an unfilled template placeholder is still in ``value``."""
    if isinstance(value, str):
        return TEMPLATE_PLACEHOLDER in value
    if isinstance(value, dict):
        return any(contains_placeholder(item) for item in value.values())
    if isinstance(value, list):
        return any(contains_placeholder(item) for item in value)
    return False
