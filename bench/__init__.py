"""Benchmarks: ``python -m bench.<name>`` prints figures against the targets (not tests)."""
