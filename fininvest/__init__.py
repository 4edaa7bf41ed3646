"""fininvest: follow the money in trafficking-in-human-beings investigations.

The public API is small; everything else is internal and may change.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
