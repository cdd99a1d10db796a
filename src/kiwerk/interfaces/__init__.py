"""kiwerk.interfaces."""
