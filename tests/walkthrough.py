"""The commands of docs/walkthroughs.md, as a test and a script runs them.

A walkthrough is Markdown whose ``sh`` blocks hold the commands a user types, one per line
(``\\`` continues a line, ``#`` starts a comment). Lines that serve until Ctrl-C (the app) are
shown but not run. Each command runs in one working folder, in order, through ``bash`` with
this Python's ``fininvest`` first on the PATH.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

BLOCK = re.compile(r"```sh\n(.*?)```", re.S)


def commands(markdown: str) -> list[str]:
    """The runnable commands of a walkthrough, continuation lines joined."""
    out: list[str] = []
    for block in BLOCK.findall(markdown):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "Ctrl-C" not in line:
                out.append(line)
    return out


def run(command: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip


if __name__ == "__main__":  # print every command with its output (to refresh the examples)
    where = Path(sys.argv[2])
    where.mkdir(parents=True, exist_ok=True)
    for cmd in commands(Path(sys.argv[1]).read_text("utf-8")):
        r = run(cmd, where)
        print(f"$ {cmd}\n{r.stdout}{r.stderr if r.returncode else ''}[exit {r.returncode}]\n")
