"""The adoption tests' fixtures: real test hosts (tests/hosts/fixtures.py), as in
tests/integration. A folder of their own, outside tests/integration, so that tools/test runs
them in the main pytest process, beside the integration tests' own process (the longer one).
"""

from tests.hosts import fixtures

test_host = fixtures.test_host
test_hosts = fixtures.test_hosts
