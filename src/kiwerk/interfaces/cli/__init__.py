"""kiwerk.interfaces.cli."""
