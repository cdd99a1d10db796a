"""kiwerk.domains.industry."""
