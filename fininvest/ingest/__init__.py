"""Ingestion: read, validate, normalise, quarantine and store records in the workspace."""

from fininvest.ingest.pipeline import FileSummary, ingest_files

__all__ = ["FileSummary", "ingest_files"]
