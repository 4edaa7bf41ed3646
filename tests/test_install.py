"""A plain (non-editable) `pip install .` into a fresh virtual environment works on its own.

Builds the wheel, installs it with its dependencies into a new venv, and runs the installed
`fininvest` from outside the source tree: it must find its Cypher files, indicator catalogue
and app assets inside the installation, and run the demo end to end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.install


def _run(*cmd: str | Path, cwd: Path, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("install")
    build = _run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", base / "dist", ROOT, cwd=base
    )
    assert build.returncode == 0, build.stderr
    [wheel] = (base / "dist").glob("fininvest-*.whl")
    venv = base / "venv"
    assert _run(sys.executable, "-m", "venv", venv, cwd=base).returncode == 0
    inst = _run(venv / "bin" / "python", "-m", "pip", "install", "-q", wheel, cwd=base)
    assert inst.returncode == 0, inst.stderr
    return venv


def test_installed_command_finds_its_resources(installed: Path, tmp_path: Path) -> None:
    r = _run(installed / "bin" / "fininvest", "info", "--format", "json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    for name, res in doc["resources"].items():
        path = Path(res["path"])
        assert installed in path.parents, (name, path)  # inside the venv, not the checkout
        assert path.parts[-2:] == ("_resources", name) and res["files"] >= 1


def test_installed_demo_runs_end_to_end(installed: Path, tmp_path: Path) -> None:
    r = _run(
        installed / "bin" / "fininvest", "demo", tmp_path / "case", "--format", "json", cwd=tmp_path
    )
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["sample"].startswith("generated")  # no sample_data/ in a wheel
    assert doc["status"]["tables"]["transactions"]["rows"] > 50_000
    assert all(f["read"] == f["accepted"] + f["rejected"] for f in doc["ingest"])
    assert doc["screen"]["suspects"] > 0 and doc["graph"]["relationships"]["PAID"] > 0
    # every user's job: the prosecutor's verified pack and the asset officer's report
    assert doc["evidence_pack"]["verified"] and doc["evidence_pack"]["signed_by"]
    assert doc["assets"]["assets"] > 0 and doc["assets"]["funnel"]["stages"][0]["assets"] > 0
