"""Locate the project's data folders (Cypher, indicator catalogue, app assets).

In a source checkout they are the top-level folders ``cypher/``, ``indicators/``
and ``dashboards/``; in an installed wheel they are shipped as
``fininvest/_resources/<name>`` (see ``pyproject.toml``). Code never assumes
which of the two it runs from.
"""

from __future__ import annotations

from pathlib import Path

from fininvest.errors import FininvestError

_PACKAGE_DIR = Path(__file__).resolve().parent
RESOURCE_NAMES = ("cypher", "indicators", "dashboards", "training")


def resource_dir(name: str) -> Path:
    """Return the directory holding the named resource folder.

    Parameters
    ----------
    name : one of ``cypher``, ``indicators``, ``dashboards``.

    Raises
    ------
    FininvestError
        If the folder is neither in the wheel nor in the source tree, which
        means a broken installation.
    """
    if name not in RESOURCE_NAMES:
        raise ValueError(f"unknown resource folder {name!r}; expected one of {RESOURCE_NAMES}")
    for candidate in (_PACKAGE_DIR / "_resources" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FininvestError(
        f"the '{name}' folder is missing from this installation",
        hint="Reinstall fininvest (pip install fininvest) or run from a complete source checkout.",
    )


def source_root() -> Path:
    """The source checkout this package runs from (its parent folder); in an installed wheel
    this is site-packages, where the checkout-only folders such as ``sample_data/`` are absent."""
    return _PACKAGE_DIR.parent


def resource_summary() -> dict[str, dict[str, object]]:
    """Where each resource folder was found and how many files it holds."""
    out: dict[str, dict[str, object]] = {}
    for name in RESOURCE_NAMES:
        path = resource_dir(name)
        files = sorted(p for p in path.rglob("*") if p.is_file())
        out[name] = {"path": str(path), "files": len(files)}
    return out
