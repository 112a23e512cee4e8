"""Read OTLP JSON back in the tests: decode ``AnyValue`` and index spans by name/attribute."""

from __future__ import annotations

from typing import Any


def decode(value: dict[str, Any]) -> Any:
    """An OTLP JSON ``AnyValue`` as a Python value (``intValue`` strings become ints)."""
    if "stringValue" in value:
        return value["stringValue"]
    if "boolValue" in value:
        return value["boolValue"]
    if "intValue" in value:
        return int(value["intValue"])
    if "doubleValue" in value:
        return float(value["doubleValue"])
    if "arrayValue" in value:
        return [decode(item) for item in value["arrayValue"].get("values", [])]
    if "kvlistValue" in value:
        return {item["key"]: decode(item["value"]) for item in value["kvlistValue"].get("values", [])}
    if "bytesValue" in value:
        return value["bytesValue"]
    return None


def attributes(item: dict[str, Any]) -> dict[str, Any]:
    """The ``attributes`` list of a span, event or resource as a dict."""
    return {entry["key"]: decode(entry["value"]) for entry in item.get("attributes", [])}


def spans(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [span for rs in document["resourceSpans"] for ss in rs["scopeSpans"] for span in ss["spans"]]


def by_step(document: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """Spans keyed by their ``agentdbg.step``."""
    return {attributes(span)["agentdbg.step"]: span for span in spans(document)}
