"""Screening: per-account event streams and the numba kernels that compute red flags on them."""
