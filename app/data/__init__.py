"""Package data: the demo directory."""
