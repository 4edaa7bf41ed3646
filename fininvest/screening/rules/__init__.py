"""The implemented indicators, one module per kind of data; importing this registers them."""

from fininvest.screening.rules import business, card, flows, kyc, transfers

__all__ = ["business", "card", "flows", "kyc", "transfers"]
