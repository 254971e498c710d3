"""datamig.site.admin_database with a fake server client (what it asks, what it runs)."""

from unittest import mock

from ansible.module_utils import basic

from ...helpers import run_module

from ansible_collections.datamig.site.plugins.modules import admin_database  # isort: skip


class Server:
    def __init__(self, databases=(), users=("lino",)):
        self.databases, self.users, self.ran = set(databases), set(users), []

    def run_command(self, argv, cwd=None, **_kwargs):
        assert cwd == "/" and argv[:4] == ["runuser", "-u", "postgres", "--"]
        sql = argv[-1]
        self.ran.append(sql)
        if "FROM pg_database" in sql:
            return 0, "1\n" if any(f"'{d}'" in sql for d in self.databases) else "", ""
        if "FROM pg_roles" in sql:
            return 0, "".join(f"{u}\n" for u in self.users if f"'{u}'" in sql), ""
        if sql.startswith("CREATE DATABASE"):
            self.databases.add(sql.split('"')[1])
            return 0, "", ""
        return 1, "", f"unexpected {sql}"


def _run(server, check_mode=False, **args):
    with mock.patch.object(basic.AnsibleModule, "run_command", server.run_command):
        return run_module(
            admin_database,
            {"vendor": "postgresql", "name": "prod1_2", "owner": "lino", **args},
            check_mode=check_mode,
        )


def test_the_database_is_made_once_owned_by_the_site_user():
    server = Server()
    checked = _run(server, check_mode=True)
    assert checked["changed"] is True and not server.databases
    made = _run(server)
    assert made["changed"] is True and server.databases == {"prod1_2"}
    assert made["statements"] == [
        'CREATE DATABASE "prod1_2" OWNER "lino" ENCODING \'UTF8\' TEMPLATE template0'
    ]
    again = _run(server)
    assert again["changed"] is False and again["statements"] == []


def test_an_owner_the_server_does_not_know_creates_nothing():
    server = Server(users=())
    result = _run(server)
    assert result.failed and "no user 'lino'" in result["msg"]
    assert not server.databases
