"""Helpers shared by the test tiers: servers on port 0, real processes, polling."""
