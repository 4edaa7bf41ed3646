"""The limits that keep a hostile input file from using up memory, disk or time.

Every limit is declared once here, as data (:data:`LIMITS`: key → type, default, meaning); the
``[limits]`` table of ``fininvest.toml`` may set any of them, docs/limits.md is generated from
this table, and config validation checks the table against it. A file beyond a limit is
refused as a whole (exit status 3) with a message that names the file, the limit, the value
found and how to raise it (:class:`LimitExceeded`); nothing of it is stored.

Examples
--------
>>> limits_from_config({"limits": {"max_columns": 5000}}).max_columns
5000
>>> limits_from_config({}).max_columns == LIMITS["max_columns"][1]
True
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from fininvest.errors import LimitExceeded

MiB = 1 << 20
GiB = 1 << 30

#: key → (type, default, meaning). The keys are those of the ``[limits]`` table of
#: ``fininvest.toml``.
LIMITS: dict[str, tuple[type, int, str]] = {
    "max_decompressed_bytes": (
        int,
        64 * GiB,
        "Bytes a compressed input (.csv.gz, .xml.gz) may expand to. It is decompressed as a "
        "stream into an unnamed temporary file in the case folder, never into memory, so this "
        "bounds the disk it takes.",
    ),
    "max_compression_ratio": (
        int,
        200,
        "Decompressed bytes per compressed byte, checked once 1 MiB has been decompressed. "
        "Bank exports compress 3-20 times; a 'zip bomb' (1 MB expanding to 1 GiB of one byte) "
        "over 1000 times.",
    ),
    "max_field_bytes": (
        int,
        16 * MiB,
        "Bytes of one CSV record (so of any one field) and of one goAML element's text or "
        "start tag (with its attributes). The longest legitimate values are free-text "
        "reasons of a few kilobytes.",
    ),
    "max_columns": (
        int,
        2000,
        "Columns of a CSV header or Parquet file. The declared layouts have at most a few "
        "dozen; extra columns are ignored but still read.",
    ),
}

#: Decompressed bytes before the compression ratio is checked (a short file's ratio says
#: nothing: its gzip header alone is 20 bytes).
RATIO_AFTER_BYTES = MiB


@dataclass(frozen=True)
class Limits:
    """The limits in force for one ingest (defaults from :data:`LIMITS`)."""

    max_decompressed_bytes: int = LIMITS["max_decompressed_bytes"][1]
    max_compression_ratio: int = LIMITS["max_compression_ratio"][1]
    max_field_bytes: int = LIMITS["max_field_bytes"][1]
    max_columns: int = LIMITS["max_columns"][1]

    def refuse(self, file: str, key: str, found: str) -> LimitExceeded:
        """The error for ``file`` beyond limit ``key`` (``found``: what was seen, in words).
        The message does not repeat the file's name: every report of it names the file."""
        value = getattr(self, key)
        return LimitExceeded(
            f"refused: {found}, beyond the limit {key} = {value:,}",
            hint=f"If the file is genuine, raise the limit in the case's fininvest.toml: "
            f"[limits] {key} = {2 * value} (see docs/limits.md).",
            file=file,
            limit=key,
        )


def problems(config: dict[str, Any]) -> list[str]:
    """What is wrong with the ``[limits]`` table of a parsed ``fininvest.toml`` (empty if
    nothing): unknown keys, values of the wrong type or not positive."""
    table = config.get("limits", {})
    if not isinstance(table, dict):
        return ["'limits' must be a table ([limits])"]
    out = []
    for key, value in table.items():
        if key not in LIMITS:
            out.append(f"[limits] has an unknown key '{key}'; known: " + ", ".join(LIMITS))
        elif not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            out.append(f"[limits] {key} must be a positive whole number, not {value!r}")
    return out


def limits_from_config(config: dict[str, Any]) -> Limits:
    """The limits a workspace's parsed ``fininvest.toml`` sets (defaults for the rest).

    Raises ``ValueError`` naming the problems if the ``[limits]`` table is invalid (config
    validation reports them first, with the file's name)."""
    bad = problems(config)
    if bad:
        raise ValueError("; ".join(bad))
    table = config.get("limits", {})
    return Limits(**{f.name: table[f.name] for f in fields(Limits) if f.name in table})


#: How values are read exactly, whatever else is in the file (docs/formats.md and
#: docs/limits.md show these; tests/hostile/test_exact.py checks each).
INPUT_RULES = (
    'A blank field (empty, only white space, or quoted empty `""` as `QUOTE_ALL` exports '
    "write; an empty string in Parquet) is no value: null, which an optional field allows.",
    "White space at the edges of a value is removed, Unicode white space (a no-break space) "
    "included, whatever else is in the file: every value has one normal form.",
    "A date is `YYYY-MM-DD` (or a full ISO timestamp, cut to its date) and nothing more: "
    "`2025-01-019` or `2025-03-14 approx` is rejected, not shortened. The year 0000 and a "
    "leap second (`23:59:60`) are rejected rather than moved to another instant.",
    "An id holding an invisible character (a control character, or a format character: "
    "zero-width space or joiner, bidirectional control such as U+202E, byte-order mark) is "
    "rejected, the character named: look-alike ids would be different accounts. Free text "
    "(names, purposes) is kept exactly as written. A NUL character in any field rejects the "
    "record (no later stage could store it).",
    "goAML: a `<report>` anywhere but directly under `<reports>` refuses the file; the "
    "transactions of a report rejected for want of `rentity_id` or a reference are rejected "
    "with it, naming why.",
    "A Parquet column of nested values (list, struct) among the declared ones, a binary "
    "column that is not UTF-8, or a file Polars cannot read refuses the file (exit status 3).",
    "`raw/`: hidden files (names starting with a dot) and what is not a regular file are "
    "skipped, and each is named on stderr; a symbolic link to a file is read from its target "
    "and replaced in `raw/` by a copy of its bytes, so the evidence does not change with the "
    "target; a link's target is never quoted in an error.",
)


def input_rules_markdown() -> list[str]:
    """:data:`INPUT_RULES` as a Markdown list."""
    return [f"- {rule}" for rule in INPUT_RULES]


def limits_markdown() -> str:
    """docs/limits.md: the limits, their defaults and meanings (generated from :data:`LIMITS`)."""
    lines = [
        "# Limits on input files",
        "",
        "<!-- generated from fininvest/limits.py by `python -m fininvest.docgen`; do not edit -->",
        "",
        "Input files come from the people under investigation and their banks, so ingest "
        "bounds what one file can cost. A file beyond a limit is refused as a whole "
        "(exit status 3): the message names the file, the limit and the value found, and "
        "nothing of the file is stored. Compressed files are decompressed as a stream "
        "(never whole into memory); a CSV header is read in full and its columns counted "
        "before anything is allocated per column; goAML text and attributes are read in "
        "linear time.",
        "",
        "Set a limit in the case's `fininvest.toml`:",
        "",
        "```toml",
        "[limits]",
        "max_columns = 5000",
        "```",
        "",
        "| key | default | meaning |",
        "|---|---|---|",
    ]
    for key, (_type, default, meaning) in LIMITS.items():
        lines.append(f"| `{key}` | {default:,} | {meaning} |")
    lines += [
        "",
        "A goAML start tag with its attributes, or a stretch of text, longer than "
        "`max_field_bytes` refuses the file. (The XML parser, expat 2.5, re-reads an "
        "unfinished start tag with every piece fed to it; fininvest feeds larger pieces as "
        "such a stretch grows, which keeps the time linear up to the limit.)",
        "",
        "Measured peak memory (one core, shared machine; `tests/hostile/test_bombs.py` prints "
        "it): a refused bomb 145-295 MB; a 10 MB CSV field about 400 MB and a 32 MB goAML "
        "text about 700 MB (a value is copied through validation and storage); a 2 MB CSV "
        "of 524,288 broken records, all rejected and kept with their raw text, about 420 MB "
        "(some 500 bytes per rejected record: rejections are kept, not limited).",
        "",
        "## Values are read exactly",
        "",
        "Not limits but rules: a record that breaks one is rejected and kept in the quarantine "
        "with its file, record, field and reason, and the rest of the file is read (unless "
        "the rule says the file is refused).",
        "",
        *input_rules_markdown(),
        "",
    ]
    return "\n".join(lines)
