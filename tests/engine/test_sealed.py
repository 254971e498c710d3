"""Sealed snapshots (datamig/seal.py, datamig/keys.py): each attack of a person who can
write a snapshot but holds no key is refused before any code of the snapshot runs.

Every planted payload would create a marker file; the marker never appears, the target
database is never created, and the message names what is wrong. The manifest is
recomputed after each change (what an attacker does), so only the signature and the
checks around it stand in the way.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import pwd
import shutil
import stat
from pathlib import Path

import pytest

from .helpers import PYTHON, Database, checksums, datamig, json_error, run, site_args

MARKER_NAME = "PAYLOAD-RAN"


@pytest.fixture
def snap(sqlite_source: tuple[Database, Path], tmp_path: Path) -> Path:
    copy = tmp_path / "snap"
    shutil.copytree(sqlite_source[1], copy)
    return copy


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / MARKER_NAME


def payload(marker: Path) -> str:
    return f"open({str(marker)!r}, 'w').write('ran')"


def recompute_manifest(folder: Path) -> None:
    """What an attacker without the key does after changing files: new sizes and
    SHA-256 in manifest.json, every file on disk listed."""
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text())
    files = {}
    for item in sorted(folder.rglob("*")):
        rel = item.relative_to(folder).as_posix()
        if item.is_symlink() or not item.is_file() or rel in ("manifest.json", "manifest.sig"):
            continue
        data = item.read_bytes()
        files[rel] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    manifest["files"] = files
    path.write_text(json.dumps(manifest, indent=1) + "\n")


def commands(snap: Path, db: Database) -> dict[str, list[str]]:
    """Every engine command that reads or runs a snapshot."""
    return {
        "restore": ["restore", str(snap), *site_args(), "--json"],
        "verify": ["verify", str(snap), "--json"],
        "diff": ["diff", str(snap), *site_args(), "--json"],
        "repair": ["repair", str(snap), *site_args(), "--model", "exact.Team", "--json"],
    }


def assert_refused_everywhere(
    snap: Path, marker: Path, db: Database, expected: str, *extra: str
) -> None:
    for name, args in commands(snap, db).items():
        result = datamig(*args, *extra, db=db, check=False)
        assert result.returncode != 0, f"{name} accepted a tampered snapshot"
        error = json_error(result)
        assert error["kind"] == "snapshot_invalid", (name, error)
        assert expected in error["error"], (name, error["error"])
        assert not marker.exists(), f"{name} ran the snapshot's code"
    assert not Path(db.name).exists(), "the target was touched"


def by_hand(snap: Path, db: Database, *extra: str, check: bool = False):
    return run([PYTHON, str(snap / "restore.py"), *site_args(), "--json", *extra], db, check=check)


# --- the attacks --------------------------------------------------------------------


def test_edited_restore_py_with_recomputed_manifest_is_refused(snap, marker, databases):
    script = snap / "restore.py"
    script.write_text(payload(marker) + "\n" + script.read_text())
    recompute_manifest(snap)
    target = databases("sqlite", "t")
    assert_refused_everywhere(snap, marker, target, "does not match its signature")
    # and without the signature: unsigned, refused unless asked for
    (snap / "manifest.sig").unlink()
    assert_refused_everywhere(snap, marker, target, "is not signed")


def test_non_json_data_line_with_recomputed_manifest_is_refused(snap, marker, databases):
    data = snap / "exact_team.py"
    data.write_text(data.read_text() + payload(marker) + "\n")
    recompute_manifest(snap)
    target = databases("sqlite", "t")
    assert_refused_everywhere(snap, marker, target, "does not match its signature")
    # run by hand, restore.py itself is what the person runs; the rest is still checked
    result = by_hand(snap, target)
    assert "does not match its signature" in json_error(result)["error"]
    assert not marker.exists() and not Path(target.name).exists()


@pytest.mark.parametrize("planted", ["importlib/__init__.py", "datamig/__init__.py", "json.py"])
def test_module_planted_beside_restore_py_is_refused(snap, marker, databases, planted):
    path = snap / planted
    path.parent.mkdir(exist_ok=True)
    path.write_text(payload(marker) + "\n")
    target = databases("sqlite", "t")
    assert_refused_everywhere(snap, marker, target, f"files the manifest does not list: {planted}")
    result = by_hand(snap, target)
    assert f"does not list: {planted}" in json_error(result)["error"]
    assert not marker.exists() and not Path(target.name).exists()


def test_forged_pycache_in_the_runtime_is_refused(snap, marker, databases):
    source = snap / "datamig_runtime" / "values.py"
    info = source.stat()
    forged = compile(source.read_text() + "\n" + payload(marker) + "\n", str(source), "exec")
    pyc = importlib.util.cache_from_source(str(source))
    os.makedirs(os.path.dirname(pyc))
    # a timestamp pyc that matches the source's mtime and size: Python would load it
    from importlib._bootstrap_external import _code_to_timestamp_pyc

    Path(pyc).write_bytes(_code_to_timestamp_pyc(forged, int(info.st_mtime), info.st_size))
    target = databases("sqlite", "t")
    name = Path(pyc).relative_to(snap).as_posix()
    assert_refused_everywhere(snap, marker, target, f"does not list: {name}")
    assert "does not list" in json_error(by_hand(snap, target))["error"]
    assert not marker.exists()


def test_model_files_outside_the_folder_are_refused(snap, marker, databases, tmp_path):
    outside = tmp_path / "outside.py"
    outside.write_text(payload(marker) + "\n")
    manifest = json.loads((snap / "manifest.json").read_text())
    team = next(m for m in manifest["models"] if m["model"] == "exact.Team")
    team["files"] = ["../outside.py"]
    (snap / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    (snap / "manifest.sig").unlink()  # even unsigned and trusted, the name is refused
    target = databases("sqlite", "t")
    assert_refused_everywhere(
        snap, marker, target, "names data file '../outside.py'", "--trust-unsigned"
    )
    for bad in ("/etc/passwd", "a/../../x.py", ".hidden.py", "a\\b.py"):
        team["files"] = [bad]
        manifest["files"][bad] = manifest["files"]["restore.py"]
        (snap / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
        result = datamig("verify", str(snap), "--json", "--trust-unsigned", check=False)
        assert "unsafe file name" in json_error(result)["error"], bad
        del manifest["files"][bad]


def test_symlinks_inside_a_snapshot_are_refused(snap, marker, databases, tmp_path):
    data = snap / "exact_team.py"
    elsewhere = tmp_path / "team-copy.py"
    shutil.copy(data, elsewhere)  # the same bytes: only the link is wrong
    data.unlink()
    data.symlink_to(elsewhere)
    target = databases("sqlite", "t")
    assert_refused_everywhere(snap, marker, target, "exact_team.py is a symlink")
    runtime = snap / "datamig_runtime"
    data.unlink()
    shutil.copy(elsewhere, data)
    shutil.move(runtime, tmp_path / "runtime")
    runtime.symlink_to(tmp_path / "runtime")  # a linked folder is not followed either
    assert_refused_everywhere(snap, marker, target, "datamig_runtime is a symlink")


def test_signature_by_a_key_this_machine_does_not_trust_is_refused(snap, databases, tmp_path):
    other = tmp_path / "other-keys"
    result = datamig("verify", str(snap), "--json", "--key-dir", str(other), check=False)
    assert (
        "which" in json_error(result)["error"] and "does not trust" in json_error(result)["error"]
    )
    # trusting the writer's public key makes it verify there
    line = json.loads(datamig("key", "show", "--json").stdout)["public_key"]
    key_file = tmp_path / "writer.pub"
    key_file.write_text(line + "\n")
    datamig("key", "trust", str(key_file), "--key-dir", str(other))
    verified = json.loads(datamig("verify", str(snap), "--json", "--key-dir", str(other)).stdout)
    assert verified["ok"] and verified["signed"]


# --- what keeps working -------------------------------------------------------------


def test_own_snapshot_restores_without_flags_and_reports_its_key(sqlite_source, databases):
    source, snap = sqlite_source
    verified = json.loads(datamig("verify", str(snap), "--json").stdout)
    assert verified["signed"] and verified["key"] and not verified["trusted_unsigned"]
    target = databases("sqlite", "t")
    report = json.loads(datamig("restore", str(snap), *site_args(), "--json", db=target).stdout)
    assert report["ok"] and not any("UNSIGNED" in w for w in report["warnings"])
    assert checksums(target) == checksums(source)
    assert not list(snap.rglob("__pycache__"))  # nothing written into the snapshot


def test_key_rotation_keeps_old_snapshots_verifying(sqlite_source, tmp_path):
    source, _snap = sqlite_source
    keys = tmp_path / "keys"
    old = tmp_path / "old"
    datamig("snapshot", *site_args(), "-o", str(old), "--key-dir", str(keys), db=source)
    first = json.loads(datamig("key", "show", "--json", "--key-dir", str(keys)).stdout)
    rotated = json.loads(datamig("key", "rotate", "--json", "--key-dir", str(keys)).stdout)
    assert rotated["rotated_from"] == first["key"] and rotated["key"] != first["key"]
    assert set(rotated["trusted_keys"]) == {first["key"], rotated["key"]}
    new = tmp_path / "new"
    datamig("snapshot", *site_args(), "-o", str(new), "--key-dir", str(keys), db=source)
    for folder, key in ((old, first["key"]), (new, rotated["key"])):
        out = json.loads(datamig("verify", str(folder), "--json", "--key-dir", str(keys)).stdout)
        assert out["ok"] and out["key"] == key
    private = (keys / "signing.key").read_bytes()
    assert private not in b"".join(p.read_bytes() for p in old.rglob("*") if p.is_file())


def test_key_folder_is_made_private_and_loose_modes_are_refused(sqlite_source, tmp_path):
    source, _snap = sqlite_source
    keys = tmp_path / "keys"
    datamig("snapshot", *site_args(), "-o", str(tmp_path / "s1"), "--key-dir", str(keys), db=source)
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    assert stat.S_IMODE((keys / "signing.key").stat().st_mode) == 0o600
    (keys / "signing.key").chmod(0o644)
    args = ("snapshot", *site_args(), "-o", str(tmp_path / "s2"), "--key-dir", str(keys))
    error = json_error(datamig(*args, "--json", db=source, check=False))
    assert "signing.key is refused: mode 0644" in error["error"] and "chmod 600" in error["error"]
    assert not (tmp_path / "s2").exists()
    (keys / "signing.key").chmod(0o600)
    keys.chmod(0o770)
    error = json_error(
        datamig("verify", str(tmp_path / "s1"), "--json", "--key-dir", str(keys), check=False)
    )
    assert "key folder" in error["error"] and "chmod 700" in error["error"]


def test_root_refuses_a_site_users_key_folder_and_says_how_to_run(sqlite_source, tmp_path):
    """The site's keys are its user's; root taking them would trust keys that user could have
    swapped, and run that user's snapshots as root. (The suite runs as root.)"""
    source, _snap = sqlite_source
    keys = tmp_path / "keys"
    datamig("snapshot", *site_args(), "-o", str(tmp_path / "s1"), "--key-dir", str(keys), db=source)
    nobody = pwd.getpwnam("nobody")
    for path in (keys, keys / "signing.key"):
        os.chown(path, nobody.pw_uid, nobody.pw_gid)
    error = json_error(
        datamig("verify", str(tmp_path / "s1"), "--json", "--key-dir", str(keys), check=False)
    )
    assert f"owner uid {nobody.pw_uid}" in error["error"], error
    assert "run the engine as that user (the site's bin/site-env" in error["error"], error


def test_site_names_with_quotes_and_backslashes_round_trip(sqlite_source, databases, tmp_path):
    source, _snap = sqlite_source
    name = 'evil"""\nimport os; os.system("x")  # \\ \' "'
    out = tmp_path / "named"
    datamig("snapshot", *site_args(), "-o", str(out), "--site", name, "--json", db=source)
    assert json.loads((out / "manifest.json").read_text())["site"] == name
    compile((out / "restore.py").read_text(), "restore.py", "exec")
    target = databases("sqlite", "named")
    datamig("restore", str(out), *site_args(), "--json", db=target)
    assert checksums(target) == checksums(source)


# --- hygiene of what a restore creates ---------------------------------------------


def test_restored_sqlite_database_is_private(sqlite_source, databases):
    _source, snap = sqlite_source
    target = databases("sqlite", "private")
    datamig("restore", str(snap), *site_args(), "--json", db=target)
    assert stat.S_IMODE(Path(target.name).stat().st_mode) == 0o600


def test_lost_values_path_that_is_a_symlink_is_refused(sqlite_source, databases, tmp_path):
    _source, snap = sqlite_source
    victim = tmp_path / "victim"
    victim.write_text("keep me\n")
    victim.chmod(0o644)
    link = tmp_path / "lost.jsonl"
    link.symlink_to(victim)
    target = databases("sqlite", "lost")
    args = ("restore", str(snap), *site_args(), "--json", "--lost-values", str(link))
    error = json_error(datamig(*args, db=target, check=False))
    assert "is a symlink: refused" in error["error"]
    assert victim.read_text() == "keep me\n" and not Path(target.name).exists()
