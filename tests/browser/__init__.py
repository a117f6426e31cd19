"""Dashboard tests in a real browser."""
