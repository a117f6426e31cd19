"""Fast, pure unit tests: no network, no sleeps."""
