"""One error root: every exception class in the package derives from ``AgentdbgError``, is defined in
``agentdbg.errors`` and is drawn in its docstring's tree."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import agentdbg
import agentdbg.errors
from agentdbg.errors import AgentdbgError, ExtraMissingError, MissingApiKeyError


def _exception_classes() -> tuple[set[type[BaseException]], list[str]]:
    found: set[type[BaseException]] = set()
    unimportable: list[str] = []
    for info in pkgutil.walk_packages(agentdbg.__path__, "agentdbg."):
        if info.name.endswith("__main__"):
            continue
        try:
            module = importlib.import_module(info.name)
        except ModuleNotFoundError as exc:  # an optional extra's package (mcp, frameworks) not installed here
            assert exc.name and not exc.name.startswith("agentdbg"), exc
            unimportable.append(info.name)
            continue
        except ExtraMissingError:  # a module that says which extra it needs (agentdbg.integrations.*)
            unimportable.append(info.name)
            continue
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__.startswith("agentdbg"):
                found.add(value)
    return found, unimportable


def test_every_exception_class_is_in_the_one_tree() -> None:
    classes, unimportable = _exception_classes()
    assert len(classes) >= 25, sorted(c.__name__ for c in classes)
    outside = sorted(f"{c.__module__}.{c.__name__}" for c in classes if not issubclass(c, AgentdbgError))
    assert outside == []
    elsewhere = sorted(f"{c.__module__}.{c.__name__}" for c in classes if c.__module__ != "agentdbg.errors")
    assert elsewhere == []
    tree = agentdbg.errors.__doc__ or ""
    undrawn = sorted(c.__name__ for c in classes if f" {c.__name__} " not in tree.replace("\n", " \n"))
    assert undrawn == []
    assert len(unimportable) <= 3, unimportable  # only modules behind an optional extra


def test_one_missing_key_error_with_one_exit_code() -> None:
    from agentdbg.explain import NoApiKeyError

    assert NoApiKeyError is MissingApiKeyError and MissingApiKeyError.exit_code == 2
    names = [c.__name__ for c in _exception_classes()[0] if "Key" in c.__name__]
    assert names == ["MissingApiKeyError"]
