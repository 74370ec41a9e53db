"""Benchmarks of kb (see BENCHMARKS.md)."""
