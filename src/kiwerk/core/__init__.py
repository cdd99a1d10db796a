"""kiwerk.core."""
