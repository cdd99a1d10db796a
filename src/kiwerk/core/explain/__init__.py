"""kiwerk.core.explain."""
