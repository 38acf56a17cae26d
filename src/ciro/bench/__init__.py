"""Performance at scale: a synthetic-KB generator (`generate`) and the benchmark (`run_benchmark`)."""

from .generate import ERROR_KINDS, Injected, generate

__all__ = ["generate", "Injected", "ERROR_KINDS"]
