"""One exception root, mapped to user-facing messages and exit codes.

Library code raises these; the CLI turns them into a message on stderr (or a
JSON error document with ``--format json``) and the documented exit status.
Programming mistakes are not caught here and surface as exit status 1.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Exit statuses documented in README.md ("Exit status").
EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_BAD_INPUT = 3
EXIT_NO_WORKSPACE = 4
EXIT_GRAPH_UNREACHABLE = 5


class FininvestError(Exception):
    """Root of every error fininvest reports to a user."""

    exit_code = EXIT_INTERNAL
    kind = "error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def to_dict(self) -> dict[str, object]:
        return {"error": self.kind, "message": self.message, "hint": self.hint}


class BadInput(FininvestError):
    """An input file cannot be read or understood at all (as opposed to single bad records)."""

    exit_code = EXIT_BAD_INPUT
    kind = "bad_input"


@dataclass
class ColumnProblem:
    """One problem with a file's header: what is wrong and what was expected."""

    column: str
    problem: str
    suggestion: str | None = None


class SchemaMismatch(BadInput):
    """A file's columns do not match the declared layout; lists every problem at once."""

    def __init__(
        self, *, file: str, kind_name: str, problems: list[ColumnProblem], expected: list[str]
    ) -> None:
        lines = [f"{file}: the header does not match the '{kind_name}' layout:"]
        for p in problems:
            tip = f" (did you mean '{p.suggestion}'?)" if p.suggestion else ""
            lines.append(f"  - column '{p.column}': {p.problem}{tip}")
        lines.append("  expected columns: " + ", ".join(expected))
        super().__init__(
            "\n".join(lines),
            hint="Rename the columns in the export, or pass --kind if the layout was mis-detected."
            " The layouts are documented in docs/formats.md.",
        )
        self.file = file
        self.kind_name = kind_name
        self.problems = problems
        self.expected = expected

    def to_dict(self) -> dict[str, object]:
        d = super().to_dict()
        d["file"] = self.file
        d["problems"] = [p.__dict__ for p in self.problems]
        d["expected"] = self.expected
        return d


class StrictRejections(BadInput):
    """``--strict`` was given and at least one record was rejected."""


class WorkspaceError(FininvestError):
    """The case directory is missing, not a workspace, or its config is invalid."""

    exit_code = EXIT_NO_WORKSPACE
    kind = "workspace"


class GraphUnavailable(FininvestError):
    """The graph store cannot be reached or started."""

    exit_code = EXIT_GRAPH_UNREACHABLE
    kind = "graph_unreachable"


class GraphWriteFailed(FininvestError):
    """The graph store refused a batch; the message names the load, the batch and its records."""

    exit_code = EXIT_GRAPH_UNREACHABLE
    kind = "graph_write"


class UnknownEntity(FininvestError):
    """An id given on the command line matches nothing in the case (a usage error)."""

    exit_code = EXIT_USAGE
    kind = "unknown_entity"


class AgreementRefused(FininvestError):
    """A JIT share or exchange falls outside its agreement (period, partner, cap, scope)."""

    exit_code = EXIT_BAD_INPUT
    kind = "agreement_refused"


class LimitExceeded(BadInput):
    """An input file goes beyond a limit of :mod:`fininvest.limits` (decompressed size,
    compression ratio, field length, column count): refused whole, naming the limit."""

    kind = "limit_exceeded"

    def __init__(self, message: str, *, hint: str | None = None, file: str, limit: str) -> None:
        super().__init__(message, hint=hint)
        self.file = file
        self.limit = limit

    def to_dict(self) -> dict[str, object]:
        d = super().to_dict()
        d["file"] = self.file
        d["limit"] = self.limit
        return d


class WorkspaceBusy(WorkspaceError):
    """Another fininvest process holds the case's writer lock (``ingest``, ``graph load``)."""

    kind = "workspace_busy"


class GraphStopped(GraphUnavailable):
    """The graph store went away during a command (the server died or was stopped)."""

    kind = "graph_stopped"


class MissingExtra(FininvestError):
    """A command needs a package that is not installed (an optional extra); the hint says
    what to install."""

    exit_code = EXIT_USAGE
    kind = "missing_extra"


def require(module: str, purpose: str, install: str) -> None:
    """Raise :class:`MissingExtra` unless ``module`` can be imported (checked without
    importing it)."""
    from importlib.util import find_spec

    if find_spec(module) is None:
        raise MissingExtra(
            f"{purpose} needs {module}, which is not installed",
            hint=f"Install it with: {install}",
        )


class EngineUnavailable(FininvestError):
    """A distributed engine (Spark, Dask) cannot be used: not installed, no Java, or its
    master / scheduler cannot be reached."""

    exit_code = EXIT_NO_WORKSPACE
    kind = "engine_unavailable"


class AccessRefused(FininvestError):
    """The app would be reachable by others without any login (a usage error)."""

    exit_code = EXIT_USAGE
    kind = "access_refused"
