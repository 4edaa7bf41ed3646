"""The numba kernels compiled once per installation, ahead of the first real case.

The first ingest and screen after installing compile fininvest's numba kernels (about a
minute; the machine code is then cached beside the package, or in ``NUMBA_CACHE_DIR``).
:func:`warm_up` does it on a tiny generated case so that a user's first screen does not wait;
:func:`kernels_cached` tells whether the screening kernels are already compiled.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

#: what the first screen after installing says while it compiles
COMPILE_NOTE = "compiling the screening kernels, once per installation, about a minute"


def kernels_cached() -> bool:
    """Whether the screening kernels' compiled code is in numba's cache (an index file of
    ``fininvest/screening/kernels.py`` beside the package or under ``NUMBA_CACHE_DIR``).

    Complexity: lists one folder, or walks ``NUMBA_CACHE_DIR``.
    """
    pattern = "kernels.*.nbi"
    custom = os.environ.get("NUMBA_CACHE_DIR")
    if custom:
        return any(p.parent.name.endswith("screening") for p in Path(custom).rglob(pattern))
    here = Path(__file__).resolve().parent / "screening" / "__pycache__"
    return any(here.glob(pattern))


def warm_up(progress: Any = None) -> dict[str, Any]:
    """Generate a tiny case in a temporary folder, ingest and screen it: every ingest and
    screening kernel is compiled (or loaded from the cache) once.

    Returns
    -------
    dict
        ``kernels_compiled`` (0 when the cache was already warm), ``seconds``,
        ``kernels_cached`` (afterwards).
    """
    from fininvest.ingest import ingest_files
    from fininvest.sample import generate_case
    from fininvest.screening.run import screen
    from fininvest.workspace import init_workspace

    say = progress or (lambda _m: None)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="fininvest-warmup-") as tmp:
        ws = init_workspace(Path(tmp) / "case", name="warm-up")
        say("a tiny synthetic case")
        generate_case(ws.path("raw"), Path(tmp) / "truth", scale="tiny", seed=1)
        say("ingest (its kernels)")
        ingest_files(ws, sorted(p for p in ws.path("raw").iterdir() if p.is_file()))
        say(COMPILE_NOTE)
        res = screen(ws, say)
    return {
        "kernels_compiled": res.compiled,
        "seconds": round(time.perf_counter() - start, 2),
        "kernels_cached": kernels_cached(),
    }
