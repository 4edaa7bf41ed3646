"""Serving the app: a threaded WSGI server, in the foreground (the CLI) or in a background
thread (tests, the benchmark)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from dash import Dash
from werkzeug.serving import BaseWSGIServer, make_server


def server_for(app: Dash, host: str = "127.0.0.1", port: int = 8050) -> BaseWSGIServer:
    """A threaded server for the app (``port=0`` picks a free port: see ``.server_port``).
    Requests are not logged one per line (the audit log records what was shown)."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    return make_server(host, port, app.server, threaded=True)


def url_of(server: BaseWSGIServer) -> str:
    host = server.host if ":" not in server.host else f"[{server.host}]"
    return f"http://{host}:{server.server_port}"


@contextmanager
def background(app: Dash, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve the app in a daemon thread while the block runs; yields its URL.

    Examples
    --------
    >>> with background(create_app(ws, store)) as url:  # doctest: +SKIP
    ...     print(url)
    """
    server = server_for(app, host, port)
    thread = threading.Thread(target=server.serve_forever, name="fininvest-app", daemon=True)
    thread.start()
    try:
        yield url_of(server)
    finally:
        server.shutdown()
        thread.join(timeout=10)
