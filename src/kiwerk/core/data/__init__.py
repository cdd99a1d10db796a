"""kiwerk.core.data."""
