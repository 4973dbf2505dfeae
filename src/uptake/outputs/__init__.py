"""What people look at: figures (matplotlib), report folders with manifests, exports."""
