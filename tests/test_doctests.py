"""The examples in the package's docstrings run, and give what they show."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import fininvest


def _modules() -> list[str]:
    found = pkgutil.walk_packages(fininvest.__path__, prefix="fininvest.")
    return sorted(m.name for m in found if not m.name.endswith("__main__"))  # runs the CLI


def _with_examples() -> list[str]:
    finder = doctest.DocTestFinder()
    return [
        name
        for name in _modules()
        if any(t.examples for t in finder.find(importlib.import_module(name)))
    ]


@pytest.mark.parametrize("name", _with_examples())
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed"


def test_examples_are_found() -> None:
    """The collection above is not vacuous: modules known to carry examples are in it."""
    assert {"fininvest.iso8601", "fininvest.launch", "fininvest.bench"} <= set(_with_examples())
