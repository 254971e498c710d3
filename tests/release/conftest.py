"""The packaging tests' fixtures: real test hosts (tests/hosts/fixtures.py), bound to a
name here as in tests/integration/conftest.py."""

from tests.hosts import fixtures

test_host = fixtures.test_host
