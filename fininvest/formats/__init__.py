"""Declared record layouts (one place) and the readers for CSV, Parquet and goAML XML."""

from fininvest.formats.declarations import KINDS, TABLE_KEYS, kind_by_name

__all__ = ["KINDS", "TABLE_KEYS", "kind_by_name"]
