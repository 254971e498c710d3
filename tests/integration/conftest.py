"""The integration tests' fixtures: real test hosts (tests/hosts/fixtures.py).

Bound to a name here rather than imported by name, so that no linter (ruff, or the pylint
of ansible-test sanity, which also checks this tree) takes the fixture for an unused import.
"""

from tests.hosts import fixtures

test_host = fixtures.test_host
test_hosts = fixtures.test_hosts
