# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A new database made by the server's administrator and given to the site's own user.

Some sites' database users may not create databases: getlino creates each one as
``postgres`` (or MariaDB's root) and grants it to the site's user. For those, the upgrade's
new database is made the same way, through the server's local socket as the administrator's
Unix user (``runuser -u postgres -- psql``, ``runuser -u root -- mysql``): on PostgreSQL
owned by the site's user (who can then migrate it, fill it and, one day, drop it); on
MariaDB/MySQL granted to every account of that user. The SQL is built here, names quoted,
never pasted.
"""

CLIENTS = {"postgresql": "psql", "mysql": "mysql"}
DEFAULT_ADMINS = {"postgresql": "postgres", "mysql": "root"}


class AdminDatabaseError(Exception):
    """The administrator could not make the database; the message says why."""


def pg_identifier(name):
    return '"' + str(name).replace('"', '""') + '"'


def pg_literal(text):
    return "'" + str(text).replace("'", "''") + "'"


def my_identifier(name):
    return "`" + str(name).replace("`", "``") + "`"


def my_literal(text):
    return "'" + str(text).replace("\\", "\\\\").replace("'", "\\'") + "'"


def check_vendor(vendor):
    if vendor not in CLIENTS:
        raise AdminDatabaseError(
            f"an administrator makes PostgreSQL and MariaDB/MySQL databases, not {vendor}"
        )


def exists_query(vendor, name):
    check_vendor(vendor)
    if vendor == "postgresql":
        return f"SELECT 1 FROM pg_database WHERE datname = {pg_literal(name)}"
    return "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = " + my_literal(name)


def owner_query(vendor, owner):
    """The owner's accounts: PostgreSQL's role (one row), MySQL's hosts (one row each)."""
    check_vendor(vendor)
    if vendor == "postgresql":
        return f"SELECT rolname FROM pg_roles WHERE rolname = {pg_literal(owner)}"
    return f"SELECT Host FROM mysql.user WHERE User = {my_literal(owner)}"


def create_statements(vendor, name, owner, hosts=()):
    """The statements that make the database and give it to owner (hosts: MySQL's)."""
    check_vendor(vendor)
    if not name or not owner:
        raise AdminDatabaseError("the new database and its owner must both be named")
    if vendor == "postgresql":
        return [
            f"CREATE DATABASE {pg_identifier(name)} OWNER {pg_identifier(owner)}"
            " ENCODING 'UTF8' TEMPLATE template0"
        ]
    if not hosts:
        raise AdminDatabaseError(f"MySQL/MariaDB has no account {owner!r} to grant it to")
    statements = [f"CREATE DATABASE {my_identifier(name)} CHARACTER SET utf8mb4"]
    statements += [
        f"GRANT ALL PRIVILEGES ON {my_identifier(name)}.* TO {my_literal(owner)}@{my_literal(host)}"
        for host in hosts
    ]
    return statements


def client_argv(vendor, admin_user, sql):
    """The server's client run as the administrator's Unix user, one statement, rows
    unaligned (psql) or tab-separated (mysql), failing on the first error."""
    check_vendor(vendor)
    argv = ["runuser", "-u", admin_user, "--"]
    if vendor == "postgresql":
        return [
            *argv,
            "psql",
            "-X",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            "postgres",
            "-c",
            sql,
        ]
    return [*argv, "mysql", "--batch", "--skip-column-names", "-e", sql]
