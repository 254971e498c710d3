"""pytest fixtures that give tests real hosts (see tests/hosts/README.md).

Load them in a conftest.py in one of these ways::

    # tests/<yours>/conftest.py: import the fixtures you use (all three are self-contained)
    from tests.hosts.fixtures import test_host, test_hosts  # noqa: F401

    # or as a plugin, in the top-level conftest.py (pytest allows pytest_plugins only
    # there) or on the command line: python -m pytest -p tests.hosts.fixtures
    pytest_plugins = ["tests.hosts.fixtures"]

``tests.hosts`` is imported from the repository root, which ``python -m pytest`` (and so
tools/test) puts on sys.path.

Fixtures:

* ``test_host``: one running host (a ``TestHost``) for the test, removed after it;
* ``test_hosts``: a factory, ``test_hosts(2)`` or ``test_hosts(2, names=["web", "db"])``
  returns new running hosts; every host it made is removed after the test;
* ``test_network``: the session's ``TestNetwork`` (bridge, client key), for tests that
  manage hosts themselves (``test_network.add_host()`` ... ``host.stop()``).

Hosts are removed even when the test fails. The network is made on first use; that
first use also removes leftovers of crashed runs, and the end of the pytest session
removes this session's hosts, the leftovers and the bridge (unless another run still
has hosts on it).

Example::

    from tests.hosts.ansible import run_playbook

    def test_site_answers(test_hosts):
        web, db = test_hosts(2, names=["web", "db"])
        result = run_playbook("playbooks/upgrade.yml", [web, db], {"version": "2"})
        assert result.returncode == 0, result.stdout + result.stderr
        assert web.run("ls /srv").stdout == "site\\n"
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import pytest

from tests.hosts.netns import TestHost, TestNetwork

_NETWORK = pytest.StashKey[TestNetwork]()


def _network(config: pytest.Config) -> TestNetwork:
    """The session's network, started on first use and stopped when pytest ends."""
    network = config.stash.get(_NETWORK, None)
    if network is None:
        network = TestNetwork()
        config.stash[_NETWORK] = network
        config.add_cleanup(network.stop)
    return network.start()


@pytest.fixture(scope="session")
def test_network(request: pytest.FixtureRequest) -> TestNetwork:
    """The session's TestNetwork."""
    return _network(request.config)


@pytest.fixture
def test_hosts(
    request: pytest.FixtureRequest,
) -> Iterator[Callable[..., list[TestHost]]]:
    """A factory of running hosts: test_hosts(count=1, names=None) -> [TestHost, ...]."""
    network = _network(request.config)
    made: list[TestHost] = []

    def factory(count: int = 1, names: Sequence[str] | None = None) -> list[TestHost]:
        names = list(names) if names is not None else [None] * count
        if len(names) != count:
            raise ValueError(f"{count} hosts but {len(names)} names")
        hosts = []
        for name in names:
            host = network.add_host(name)
            made.append(host)
            hosts.append(host)
        return hosts

    yield factory
    _stop_all(made)


@pytest.fixture
def test_host(request: pytest.FixtureRequest) -> Iterator[TestHost]:
    """One running host for this test."""
    host = _network(request.config).add_host()
    yield host
    _stop_all([host])


def _stop_all(hosts: list[TestHost]) -> None:
    """Stop every host, even if stopping one fails; then raise the first failure."""
    errors = []
    for host in hosts:
        try:
            host.stop()
        except Exception as exc:
            errors.append(exc)
    if errors:
        raise errors[0]
