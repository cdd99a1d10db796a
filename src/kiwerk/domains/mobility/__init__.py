"""kiwerk.domains.mobility."""
