"""Realistic demo mail for ``make demo``, the tests and the benchmarks (ARCHITECTURE.md)."""
