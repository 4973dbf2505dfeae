"""The version of uptake (one place; the package, manifests and the web app read it from here)."""

__version__ = "0.1.0"
