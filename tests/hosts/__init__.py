"""Real test hosts for integration tests: see README.md beside this file."""
