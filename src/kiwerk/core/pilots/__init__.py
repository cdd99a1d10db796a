"""kiwerk.core.pilots."""
