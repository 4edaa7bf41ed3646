"""THB red-flag indicators: the cited catalogue (``indicators/*.toml``) and, later, the engine."""

from fininvest.indicators.catalogue import FAMILIES, Indicator, load_catalogue

__all__ = ["FAMILIES", "Indicator", "load_catalogue"]
