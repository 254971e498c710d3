"""restore.py: runs without datamig installed, stays editable, serves repair scripts,
and a restore that fails part-way leaves the target as it was."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from .helpers import (
    PYTHON,
    SITE,
    Database,
    checksums,
    django_script,
    json_error,
    make_source,
    run,
    site_args,
)

WITHOUT_DATAMIG = (
    "import runpy, sys; sys.modules['datamig'] = None; "  # any 'import datamig' now fails
    "path = sys.argv[1]; sys.argv = sys.argv[1:]; runpy.run_path(path, run_name='__main__')"
)


def run_restore_script(snap: Path, db: Database, *extra: str, check: bool = True):
    return run(
        [PYTHON, "-c", WITHOUT_DATAMIG, str(snap / "restore.py"), *site_args(), "--json", *extra],
        db,
        check=check,
    )


@pytest.fixture
def snap_copy(sqlite_source: tuple[Database, Path], tmp_path: Path) -> Path:
    copy = tmp_path / "snap"
    shutil.copytree(sqlite_source[1], copy)
    return copy


def test_restore_py_restores_without_datamig_installed(sqlite_source, databases):
    target = databases("postgresql", "script")
    result = run_restore_script(sqlite_source[1], target)
    report = json.loads(result.stdout)
    assert report["ok"] and report["created_database"] and report["rows"] > 500
    assert all(m["fast_path"] for m in report["models"])
    assert checksums(target) == checksums(sqlite_source[0])


def test_report_gives_every_model_with_restored_counts(sqlite_source, databases):
    target = databases("sqlite", "report")
    report = json.loads(run_restore_script(sqlite_source[1], target).stdout)
    manifest = json.loads((sqlite_source[1] / "manifest.json").read_text())
    assert {m["model"]: m["restored"] for m in report["models"]} == {
        m["model"]: m["rows"] for m in manifest["models"]
    }
    assert all(m["errors"] == 0 and m["ignored"] == 0 for m in report["models"])


def test_edited_restore_py_runs_by_hand_but_not_through_the_tool(snap_copy, databases):
    script = snap_copy / "restore.py"
    source = script.read_text()
    # Rewrite one create function: drop logs whose text ends in 1, upper-case the rest.
    old = "def create_exact_gadgetlog(id, text):\n"
    assert old in source
    edited = source.replace(
        old,
        old + "    if text.endswith('1'):\n        return None\n    text = text.upper()\n",
    )
    script.write_text(edited)
    target = databases("sqlite", "edited")
    tool = run(
        [PYTHON, "-m", "datamig", "restore", str(snap_copy), *site_args(), "--json"],
        target,
        check=False,
    )
    assert "does not match its manifest: restore.py" in json_error(tool)["error"]
    assert not target.exists()
    report = json.loads(run_restore_script(snap_copy, target).stdout)
    assert any("restore.py" in w for w in report["warnings"])
    logs = next(m for m in report["models"] if m["model"] == "exact.GadgetLog")
    assert logs["ignored"] == 1 and logs["restored"] + logs["ignored"] == logs["expected"]
    names = json.loads(
        run(
            [PYTHON, "-c", _log_texts_script()],
            target,
        ).stdout
    )
    assert names == ["LOG 0", "LOG 2", "LOG 3"]


def _log_texts_script() -> str:
    return textwrap.dedent(
        f"""
        import sys, os, json
        sys.path.insert(0, {str(SITE)!r})
        os.environ['DJANGO_SETTINGS_MODULE'] = 'testsite.settings'
        import django; django.setup()
        from exact.models import GadgetLog
        print(json.dumps(list(GadgetLog.objects.values_list('text', flat=True))))
        """
    )


def test_failure_part_way_leaves_an_existing_target_as_it_was(snap_copy, databases):
    target = databases("postgresql", "failing")
    make_source(target, rows=20, seed=5)
    before = checksums(target)
    script = snap_copy / "restore.py"
    old = "def create_exact_team(id, name, captain_id):\n"
    script.write_text(
        script.read_text().replace(old, old + "    raise ValueError(f'refusing team {id}')\n")
    )
    result = run_restore_script(snap_copy, target, "--flush", check=False)
    assert "refusing team" in json_error(result)["error"]
    # Exact Team loads last: every other table was already flushed and reloaded.
    assert checksums(target) == before


SCHEMA_STATE = """
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
applied = sorted(map(list, MigrationRecorder(connection).applied_migrations()))
print(json.dumps({"applied": applied, "tables": sorted(connection.introspection.table_names())}))
"""


def _schema_state(db: Database) -> dict:
    return json.loads(django_script(db, SCHEMA_STATE).stdout)


@pytest.mark.parametrize("vendor", ["sqlite", "postgresql"])
def test_failure_part_way_undoes_the_migrations_it_ran_in_a_partly_migrated_target(
    snap_copy, databases, vendor
):
    """An existing target, migrated only in part (contenttypes, auth to its first
    migration): the restore migrates it, then fails loading; it is left as it was found -
    the same applied migrations and the same tables."""
    target = databases(vendor, "partial")
    target.create_empty()
    django_script(
        target,
        "from django.core.management import call_command\n"
        "call_command('migrate', 'contenttypes', verbosity=0)\n"
        "call_command('migrate', 'auth', '0001', verbosity=0)\n",
    )
    before = _schema_state(target)
    assert ["auth", "0001_initial"] in before["applied"] and len(before["applied"]) >= 3
    assert "exact_team" not in before["tables"]
    # a duplicate primary key: the database refuses a batch, after the migrations ran
    script = snap_copy / "restore.py"
    old = "def create_exact_member(id, name, team_id, mentor_id):\n"
    script.write_text(script.read_text().replace(old, old + "    id = 1\n"))
    result = run_restore_script(snap_copy, target, check=False)
    assert "IntegrityError" in json_error(result)["error"]
    assert _schema_state(target) == before


def test_failure_part_way_drops_a_database_it_created(snap_copy, databases):
    target = databases("mysql", "failing")
    data = snap_copy / "exact_member.py"
    # A duplicate primary key inside the data: the database refuses the batch.
    lines = data.read_text().splitlines(keepends=True)
    script = snap_copy / "restore.py"
    old = "def create_exact_member(id, name, team_id, mentor_id):\n"
    script.write_text(script.read_text().replace(old, old + "    id = 1\n"))
    assert len(lines) > 5
    result = run_restore_script(snap_copy, target, check=False)
    error = json_error(result)["error"]
    assert "exact.Member" in error and "IntegrityError" in error and "'id': 1" in error
    assert not target.exists()


SEED_REPAIR = """
import os, sys
sys.path.insert(0, {site!r})
os.environ['DJANGO_SETTINGS_MODULE'] = 'testsite.settings'
import django; django.setup()
from django.core.exceptions import ValidationError
from exact.models import Member

p = {snap!r}
__name__ = ""  # don't execute main(), just load the create_* functions
path = os.path.join(p, "restore.py")
exec(compile(open(path).read(), path, "exec"))


class PartnerLoader:
    def __init__(self):
        self.ignored = 0
        self.restored = 0
        self.errors = 0
        self.seen = []

    def flush_deferred_objects(self):
        pass

    def save(self, obj):
        self.seen.append(obj)
        if obj.__class__.objects.filter(pk=obj.pk).count() == 0:
            try:
                obj.full_clean()
            except ValidationError:
                self.errors += 1
                return
            self.restored += 1
        else:
            self.ignored += 1

    def report(self):
        return dict(errors=self.errors, restored=self.restored, ignored=self.ignored)


loader = PartnerLoader()
path = os.path.join(p, "exact_member.py")
exec(compile(open(path).read(), path, "exec"))
import json
print(json.dumps(dict(
    report=loader.report(),
    types=sorted({{type(o).__name__ for o in loader.seen}}),
    unsaved=all(o._state.adding for o in loader.seen),
    rows=[[o.pk, o.name, o.team_id, o.mentor_id] for o in loader.seen],
)))
"""


def test_seed_repair_pattern_gets_one_save_per_row_with_unsaved_instances(sqlite_source, databases):
    source, snap = sqlite_source
    live = databases("sqlite", "live")
    make_source(live, rows=10, seed=3)  # fewer members than the snapshot
    code = SEED_REPAIR.format(site=str(SITE), snap=str(snap))
    out = json.loads(run([PYTHON, "-c", code], live).stdout)
    members = json.loads(
        run(
            [PYTHON, "-c", _members_script()],
            source,
        ).stdout
    )
    assert out["types"] == ["Member"]
    assert out["unsaved"] is True
    assert out["rows"] == members  # one save() per row, carrying the row's values
    report = out["report"]
    assert report["restored"] + report["ignored"] + report["errors"] == len(members)
    assert report["ignored"] > 0 and report["restored"] + report["errors"] > 0


def _members_script() -> str:
    return textwrap.dedent(
        f"""
        import sys, os, json
        sys.path.insert(0, {str(SITE)!r})
        os.environ['DJANGO_SETTINGS_MODULE'] = 'testsite.settings'
        import django; django.setup()
        from exact.models import Member
        print(json.dumps([list(r) for r in Member.objects.order_by('pk').values_list('pk', 'name', 'team_id', 'mentor_id')]))
        """
    )


def test_a_dropped_row_that_others_point_to_is_named_and_nothing_is_left(snap_copy, databases):
    script = snap_copy / "restore.py"
    old = "def create_exact_team(id, name, captain_id):\n"
    script.write_text(script.read_text().replace(old, old + "    return None\n"))
    target = databases("sqlite", "dangling")
    error = json_error(run_restore_script(snap_copy, target, check=False))["error"]
    assert "foreign key" in error and "exact_member" in error and "team_id" in error
    assert not target.exists()


def test_a_failing_row_is_shown_without_its_secrets(snap_copy, databases):
    script = snap_copy / "restore.py"
    old = "def create_auth_permission(id, name, content_type_id, codename):\n"
    assert old in script.read_text()
    script.write_text(script.read_text().replace(old, old + "    id = 1\n"))
    users = snap_copy / "auth_user.py"
    assert "pbkdf2_sha256$" in users.read_text()  # the snapshot does hold password hashes
    target = databases("sqlite", "secret")
    result = run_restore_script(snap_copy, target, check=False)
    error = json_error(result)["error"]
    assert "auth.Permission" in error and "'id': 1" in error
    # a row of a table with secrets: its password column is hidden in the message
    old = "def create_auth_user(id, password, last_login, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined):\n"
    text = script.read_text().replace("    id = 1\n", "", 1)
    assert old in text
    script.write_text(text.replace(old, old + "    id = 1\n"))
    result = run_restore_script(snap_copy, target, check=False)
    output = result.stdout + result.stderr
    assert "auth.User" in output and "'password': '<hidden>'" in output
    assert "pbkdf2_sha256$" not in output


def test_json_output_stays_one_object_when_the_site_prints_on_stdout(
    sqlite_source, databases, tmp_path
):
    source, snap = sqlite_source
    noisy = {"TESTSITE_NOISY": "1"}
    out = tmp_path / "noisy-snap"
    result = run(
        [PYTHON, "-m", "datamig", "snapshot", *site_args(), "-o", str(out), "--json"],
        Database("sqlite", source.name, extra_env=noisy),
    )
    assert json.loads(result.stdout)["ok"] is True
    assert "a line on stdout that is not JSON" in result.stderr
    target = databases("sqlite", "noisy")
    target.extra_env.update(noisy)
    result = run_restore_script(snap, target)
    assert json.loads(result.stdout)["ok"] is True


def test_postgresql_restore_rebuilds_every_index_and_foreign_key_and_checks_them(
    snap_copy, databases
):
    import psycopg

    target = databases("postgresql", "rebuilt")
    run_restore_script(snap_copy, target)
    fresh = databases("postgresql", "fresh")
    fresh.create_empty()
    run([PYTHON, "-c", _migrate_script()], fresh)

    def schema(db) -> tuple[list, list]:
        with psycopg.connect(host="127.0.0.1", user="postgres", dbname=db.name) as conn:
            indexes = conn.execute(
                "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 2"
            ).fetchall()
            keys = conn.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE contype = 'f' ORDER BY 2"
            ).fetchall()
        return indexes, keys

    indexes, keys = schema(target)
    assert len(keys) > 10 and len(indexes) > 20
    assert (indexes, keys) == schema(fresh)
    # A row whose foreign key points nowhere is named when the keys come back.
    script = snap_copy / "restore.py"
    old = "def create_exact_team(id, name, captain_id):\n"
    script.write_text(script.read_text().replace(old, old + "    return None\n"))
    broken = databases("postgresql", "dangling")
    error = json_error(run_restore_script(snap_copy, broken, check=False))["error"]
    assert "foreign key" in error and "exact_member" in error
    assert not broken.exists()


def _migrate_script() -> str:
    return textwrap.dedent(
        f"""
        import sys, os
        sys.path.insert(0, {str(SITE)!r})
        os.environ['DJANGO_SETTINGS_MODULE'] = 'testsite.settings'
        import django; django.setup()
        from django.core.management import call_command
        call_command('migrate', verbosity=0)
        """
    )
