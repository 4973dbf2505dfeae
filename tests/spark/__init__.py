"""Spark tests in local mode (a package, so its conftest does not shadow tests/conftest.py)."""
