"""kiwerk.domains."""
