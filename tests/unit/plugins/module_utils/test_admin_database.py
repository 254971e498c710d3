"""admin_database: the SQL an administrator runs to make a site's new database."""

import pytest

from ansible_collections.datamig.site.plugins.module_utils import admin_database  # isort: skip


def test_postgresql_the_site_user_owns_the_database_names_quoted():
    [sql] = admin_database.create_statements("postgresql", 'odd"name', "li no")
    assert sql == ('CREATE DATABASE "odd""name" OWNER "li no" ENCODING \'UTF8\' TEMPLATE template0')
    assert admin_database.exists_query("postgresql", "it's") == (
        "SELECT 1 FROM pg_database WHERE datname = 'it''s'"
    )


def test_mysql_every_account_of_the_user_is_granted_the_database():
    statements = admin_database.create_statements("mysql", "p`1", "lino", ["localhost", "%"])
    assert statements == [
        "CREATE DATABASE `p``1` CHARACTER SET utf8mb4",
        "GRANT ALL PRIVILEGES ON `p``1`.* TO 'lino'@'localhost'",
        "GRANT ALL PRIVILEGES ON `p``1`.* TO 'lino'@'%'",
    ]
    assert admin_database.owner_query("mysql", "o'k\\") == (
        "SELECT Host FROM mysql.user WHERE User = 'o\\'k\\\\'"
    )
    with pytest.raises(admin_database.AdminDatabaseError, match="no account 'lino'"):
        admin_database.create_statements("mysql", "p1", "lino", [])


def test_the_client_runs_as_the_administrator_and_sqlite_is_refused():
    argv = admin_database.client_argv("postgresql", "postgres", "SELECT 1")
    assert argv[:5] == ["runuser", "-u", "postgres", "--", "psql"] and argv[-2:] == [
        "-c",
        "SELECT 1",
    ]
    assert admin_database.client_argv("mysql", "root", "SELECT 1")[4] == "mysql"
    with pytest.raises(admin_database.AdminDatabaseError, match="not sqlite"):
        admin_database.create_statements("sqlite", "x", "y")
