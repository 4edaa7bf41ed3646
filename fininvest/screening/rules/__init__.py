"""The implemented indicators, one module per kind of data; importing this registers them."""

from fininvest.screening.rules import card, flows, kyc, transfers

__all__ = ["card", "flows", "kyc", "transfers"]
