"""kiwerk.core.models."""
