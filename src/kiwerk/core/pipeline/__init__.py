"""kiwerk.core.pipeline."""
