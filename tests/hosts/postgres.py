"""A PostgreSQL server of a test host's own: initdb under the host's private /srv, a
server on the host's own 127.0.0.1:5432, password (SCRAM) authentication over TCP, as a
site's database server on the same machine would be. Stops with the host (its PID
namespace)."""

from __future__ import annotations

import glob
import time
from dataclasses import dataclass

from tests.hosts.netns import TestHost


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} is not installed (tools/bootstrap installs it)")
    return found[-1]


@dataclass(frozen=True)
class HostPostgres:
    host: TestHost
    user: str
    password: str
    port: int = 5432

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL as the superuser through the host's socket; its unaligned output."""
        argv = ["env", "-C", "/", "runuser", "-u", "postgres", "--", _bin("psql")]
        argv += ["-h", "/run/postgresql", "-p", str(self.port), "-d", database]
        argv += ["-AtX", "-v", "ON_ERROR_STOP=1", "-c", sql]
        result = self.host.run(argv, check=True)
        return result.stdout.strip()

    def databases(self) -> set[str]:
        return set(self.psql("SELECT datname FROM pg_database").split())


def start_postgres(host: TestHost, user: str, password: str) -> HostPostgres:
    """initdb and start PostgreSQL inside ``host``; ``user`` may create databases and
    logs in with ``password`` over TCP on 127.0.0.1 (trust only on the local socket)."""
    data = "/srv/postgresql"
    script = f"""
set -e
cd /  # the postgres user may not read /root
mkdir -p {data} /run/postgresql
chown postgres:postgres {data} /run/postgresql
chmod 0700 {data}
runuser -u postgres -- {_bin("initdb")} -D {data} -U postgres --auth-local=trust \
    --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
runuser -u postgres -- {_bin("pg_ctl")} -D {data} -l {data}/server.log -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c unix_socket_directories=/run/postgresql -c fsync=off" start >/dev/null
"""
    result = host.run(script, timeout=120)
    if result.returncode != 0:
        log = host.run(f"cat {data}/server.log").stdout
        raise RuntimeError(f"PostgreSQL did not start in {host.name}: {result.stderr}\n{log}")
    server = HostPostgres(host, user, password)
    server.psql(
        f"CREATE ROLE {user} LOGIN CREATEDB PASSWORD {_literal(password)}",
    )
    deadline = time.monotonic() + 30
    while server.psql("SELECT 1") != "1":  # pragma: no cover - pg_ctl -w waited already
        if time.monotonic() > deadline:
            raise RuntimeError("PostgreSQL does not answer")
        time.sleep(0.2)
    return server


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


__all__ = ["HostPostgres", "start_postgres"]
