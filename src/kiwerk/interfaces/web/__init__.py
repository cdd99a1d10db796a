"""kiwerk.interfaces.web."""
