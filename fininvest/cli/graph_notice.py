"""Saying once that a graph server was started and keeps running in the background."""

from __future__ import annotations

from fininvest.workspace import Workspace


class ServerNotice:
    """Remembers whether the case's embedded graph server ran before a command; :meth:`say`
    tells the user (on stderr) when the command started it.

    Nothing is said with ``uri`` (a Neo4j server is the user's own) or when the server was
    already running (it was said when it started).
    """

    def __init__(self, ws: Workspace, uri: str | None) -> None:
        from fininvest.graph import embedded

        self.ws = ws
        self.watch = not uri and not ws.config.get("graph", {}).get("uri")
        self.before = embedded.running(ws) if self.watch else None

    def say(self) -> None:
        from fininvest.cli.output import stderr
        from fininvest.graph import embedded

        if not self.watch or self.before is not None:
            return
        now = embedded.running(self.ws)
        if now is not None:
            stderr.print(
                f"Started the case's graph server (pid {now.pid}); it keeps running in the "
                f"background for the next commands. Stop it with: fininvest graph stop "
                f"{self.ws.root}",
                markup=False,
                highlight=False,
            )
