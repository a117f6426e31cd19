"""gridops tests."""
