"""kiwerk.interfaces.api."""
