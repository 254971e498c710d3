"""The test-host fixtures (tests/hosts/fixtures.py) for the tests of this folder."""

from tests.hosts.fixtures import test_host, test_hosts, test_network  # noqa: F401
