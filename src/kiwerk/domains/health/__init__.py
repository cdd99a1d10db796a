"""kiwerk.domains.health."""
