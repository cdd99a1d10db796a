"""kiwerk.core.monitor."""
