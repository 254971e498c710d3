"""Bad input gets a clear error naming what is wrong, and changes nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from .helpers import (
    Database,
    checksums,
    datamig,
    json_error,
    make_source,
    restore,
    site_args,
    snapshot,
)


@pytest.fixture
def snap_copy(sqlite_source: tuple[Database, Path], tmp_path: Path) -> Path:
    """A private copy of the module's snapshot, free to damage."""
    copy = tmp_path / "snap"
    shutil.copytree(sqlite_source[1], copy)
    return copy


@pytest.fixture
def filled_target(databases) -> Database:
    """A target that already holds other data, with its checksums taken."""
    target = databases("sqlite", "occupied")
    make_source(target, rows=20, seed=99)
    return target


def assert_refused(result, kind: str, *words: str) -> str:
    error = json_error(result)
    assert error["ok"] is False and error["kind"] == kind, error
    for word in words:
        assert word in error["error"], error["error"]
    assert "Traceback" not in result.stderr
    return error["error"]


def test_tampered_file_is_refused_and_target_unchanged(snap_copy, filled_target):
    before = checksums(filled_target)
    data = snap_copy / "exact_member.py"
    text = data.read_text()
    data.write_text(text.replace('"member 1"', '"member X"', 1))
    assert data.stat().st_size == len(text.encode())
    result = restore(snap_copy, filled_target, "--flush", check=False)
    assert_refused(result, "snapshot_invalid", "exact_member.py", "SHA-256")
    assert checksums(filled_target) == before


def test_truncated_file_is_refused_and_new_target_not_created(snap_copy, databases):
    data = snap_copy / "exact_everything.py"
    data.write_bytes(data.read_bytes()[:-100])
    target = databases("sqlite", "never")
    result = restore(snap_copy, target, check=False)
    assert_refused(result, "snapshot_invalid", "exact_everything.py", "truncated")
    assert not target.exists()


def test_missing_file_is_refused(snap_copy, databases):
    (snap_copy / "exact_team.py").unlink()
    target = databases("postgresql", "never")
    result = restore(snap_copy, target, check=False)
    assert_refused(result, "snapshot_invalid", "exact_team.py: missing")
    assert not target.exists()


def test_missing_manifest_is_refused(snap_copy, databases):
    (snap_copy / "manifest.json").unlink()
    target = databases("sqlite", "never")
    assert_refused(
        restore(snap_copy, target, check=False), "snapshot_invalid", "manifest.json is missing"
    )
    assert not target.exists()


def test_manifest_of_a_newer_format_is_refused(snap_copy, databases):
    manifest = json.loads((snap_copy / "manifest.json").read_text())
    manifest["format"] = 99
    (snap_copy / "manifest.json").write_text(json.dumps(manifest))
    # signed, as a newer datamig with this machine's key would
    from datamig.keys import KeyStore
    from datamig.seal import sign_snapshot

    (snap_copy / "manifest.sig").unlink()
    sign_snapshot(str(snap_copy), KeyStore.from_option(None))
    target = databases("sqlite", "never")
    assert_refused(
        restore(snap_copy, target, check=False), "snapshot_invalid", "format 99 is newer"
    )
    assert not target.exists()


def test_verify_names_every_problem(snap_copy):
    (snap_copy / "exact_team.py").unlink()
    (snap_copy / "exact_tag.py").write_text("# emptied\n")
    result = datamig("verify", str(snap_copy), "--json", check=False)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert any("exact_team.py: missing" in p for p in report["problems"])
    assert any(p.startswith("exact_tag.py: size") for p in report["problems"])


def test_verify_passes_an_intact_snapshot_without_django(sqlite_source):
    # verify needs no settings: it reads only the manifest and the files.
    result = datamig("verify", str(sqlite_source[1]), "--json")
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["files_checked"] > 20 and report["problems"] == []


def test_target_holding_data_needs_flush(sqlite_source, filled_target):
    before = checksums(filled_target)
    result = restore(sqlite_source[1], filled_target, check=False)
    assert_refused(result, "target_not_empty", "holds data", "--flush")
    assert checksums(filled_target) == before
    restore(sqlite_source[1], filled_target, "--flush")
    assert checksums(filled_target) == checksums(sqlite_source[0])


def test_settings_that_do_not_import_are_reported(sqlite_source, databases):
    target = databases("sqlite", "never")
    result = datamig(
        "restore",
        str(sqlite_source[1]),
        "--settings",
        "no_such_site.settings",
        "--json",
        db=target,
        check=False,
    )
    assert_refused(result, "settings", "no_such_site.settings", "does not import")
    assert not target.exists()
    result = datamig(
        "snapshot",
        "--settings",
        "no_such_site.settings",
        "-o",
        "/tmp/never-written",
        "--json",
        check=False,
    )
    assert_refused(result, "settings", "no_such_site.settings")
    assert not Path("/tmp/never-written").exists()


def test_unreachable_database_is_reported(sqlite_source, tmp_path):
    target = Database("postgresql", "dmtest_unreachable", extra_env={"TESTSITE_DB_PORT": "1"})
    result = restore(sqlite_source[1], target, check=False)
    assert_refused(result, "database_unreachable", "postgresql", "dmtest_unreachable")
    source = Database("mysql", "dmtest_unreachable", extra_env={"TESTSITE_DB_PORT": "1"})
    result = datamig(
        "snapshot", *site_args(), "-o", str(tmp_path / "never"), "--json", db=source, check=False
    )
    assert_refused(result, "database_unreachable")
    assert not (tmp_path / "never").exists()


def test_snapshot_of_a_missing_sqlite_database_creates_nothing(tmp_path):
    source = Database("sqlite", str(tmp_path / "absent.sqlite3"))
    result = datamig(
        "snapshot", *site_args(), "-o", str(tmp_path / "snap"), "--json", db=source, check=False
    )
    assert_refused(result, "database_unreachable", "does not exist")
    assert not Path(source.name).exists()
    assert not (tmp_path / "snap").exists()


def test_snapshot_into_a_non_empty_folder_is_refused(sqlite_source, tmp_path):
    out = tmp_path / "occupied"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = datamig(
        "snapshot", *site_args(), "-o", str(out), "--json", db=sqlite_source[0], check=False
    )
    assert_refused(result, "snapshot_failed", "not an empty folder")
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_snapshot_folders_are_0700_and_files_0600(tmp_path, sqlite_source):
    out = tmp_path / "private"
    snapshot(sqlite_source[0], out)
    for path in [out, *out.rglob("*")]:
        mode = path.stat().st_mode & 0o777
        assert mode == (0o700 if path.is_dir() else 0o600), f"{path}: {oct(mode)}"


def test_diff_and_restore_leave_the_snapshot_as_its_manifest_lists_it(
    tmp_path, sqlite_source, databases, monkeypatch
):
    """No __pycache__ (0755 folders, 0644 files) appears in a snapshot that is restored."""
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)  # as on a node
    out = tmp_path / "private"
    snapshot(sqlite_source[0], out)
    listed = sorted(p.relative_to(out) for p in out.rglob("*"))
    target = databases("sqlite", "restored")
    datamig("diff", str(out), *site_args(), "--json", db=target)
    restore(out, target)
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == listed
