"""kiwerk.core.serving."""
