"""Benchmarks of uptake on synthetic arXiv-like corpora: ``python -m bench --papers N``."""
