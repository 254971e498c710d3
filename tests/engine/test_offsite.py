"""``datamig offsite`` and ``scheduled-snapshot --offsite`` against a real sshd.

The far end is a test host (tests/hosts: its own network namespace, /srv and sshd; root
logs in with the run's client key). Its files are read from outside through ``host.fs``
and checked at the far end with its own ``sha256sum`` (``host.run``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.hosts.fixtures import test_network  # noqa: F401

from .helpers import DEMO_SITE, ROOT, Database, datamig, django_script, snapshot

NAME = "20261124T030000Z"
SITE = "demo"


@pytest.fixture(scope="module")
def far(test_network):  # noqa: F811
    """One far host for the module (each test uses its own folder under /srv)."""
    host = test_network.add_host()
    yield host
    host.stop()


@pytest.fixture(scope="module")
def known_hosts(far, tmp_path_factory) -> Path:
    key = (far.fs / "etc/ssh/ssh_host_ed25519_key.pub").read_text().split()
    path = tmp_path_factory.mktemp("ssh") / "known_hosts"
    path.write_text(f"{far.address} {key[0]} {key[1]}\n")
    return path


def fill_demo(folder: Path, rows: int) -> Database:
    db = Database("sqlite", str(folder / f"demo{rows}.sqlite3"), site=DEMO_SITE)
    django_script(
        db,
        "from django.core.management import call_command\n"
        "call_command('migrate', verbosity=0)\n"
        f"call_command('demo_fill', rows={rows}, seed=5, verbosity=0)\n",
    )
    return db


@pytest.fixture(scope="module")
def big_snapshot(tmp_path_factory) -> Path:
    """A real snapshot of the demo site, about 6 MB (30,000 rows)."""
    folder = tmp_path_factory.mktemp("big")
    db = fill_demo(folder, 30_000)
    out = folder / "snapshots" / NAME
    snapshot(db, out)
    db.drop()
    return out


@pytest.fixture(scope="module")
def small_db(tmp_path_factory) -> Database:
    db = fill_demo(tmp_path_factory.mktemp("small"), 200)
    yield db
    db.drop()


def make_config(folder: Path, far, known_hosts: Path, base: str, **extra) -> Path:
    config = {
        "host": far.address,
        "port": 22,
        "user": "root",
        "key_file": str(far.network.client_key),
        "known_hosts": str(known_hosts),
        "path": base,
        **extra,
    }
    path = folder / f"offsite-{len(list(folder.glob('offsite-*')))}.json"
    path.write_text(json.dumps(config))
    path.chmod(0o600)
    return path


def offsite(*args: str, config: Path, check: bool = False) -> tuple[int, dict, str]:
    result = datamig("offsite", *args, "--config", str(config), "--json", check=check)
    lines = result.stdout.strip().splitlines()
    return result.returncode, (json.loads(lines[-1]) if lines else {}), result.stderr


def local_sums(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def far_sums(far, folder: str) -> dict[str, str]:
    """SHA-256 of every file of a far-end folder, computed by the far host."""
    out = far.run(f"cd {folder} && find . -type f -exec sha256sum {{}} +", check=True).stdout
    return {line[66:][2:]: line[:64] for line in out.splitlines()}


def far_modes(far, folder: str) -> set[tuple[str, str]]:
    out = far.run(f"find {folder} -printf '%y %m\\n'", check=True).stdout
    return {tuple(line.split()) for line in out.splitlines()}


def test_push_copies_every_file_and_the_far_end_checks_them(
    far, known_hosts, big_snapshot, tmp_path
):
    config = make_config(tmp_path, far, known_hosts, "/srv/push")
    status, result, err = offsite("push", str(big_snapshot), config=config)
    assert status == 0, err
    pushed = result["pushed"][0]
    total = sum(p.stat().st_size for p in big_snapshot.rglob("*") if p.is_file())
    assert total > 5_000_000
    assert pushed["name"] == NAME and pushed["verified"] is True
    assert pushed["remote"] == f"/srv/push/{SITE}/{NAME}"
    assert pushed["bytes_total"] == pushed["bytes_sent"] == total
    assert pushed["bytes_resumed"] == 0 and pushed["resent"] == []
    assert far_sums(far, pushed["remote"]) == local_sums(big_snapshot)
    assert far_modes(far, f"/srv/push/{SITE}") == {("d", "700"), ("f", "600")}
    assert sorted(os.listdir(far.fs / "srv/push" / SITE)) == [NAME]  # no partial left
    status, listed, _ = offsite("list", "--site", SITE, config=config)
    assert listed["snapshots"] == [NAME] and listed["partial"] == []
    status, checked, _ = offsite("verify", NAME, "--site", SITE, config=config)
    assert status == 0 and checked["ok"] and checked["problems"] == []
    # a second push finds the copy verified and sends nothing
    status, again, _ = offsite("push", str(big_snapshot), config=config)
    assert again["pushed"][0]["already_offsite"] is True
    assert again["pushed"][0]["bytes_sent"] == 0


def flip_a_byte(far, path: str) -> None:
    far.run(
        "python3 -c \"import sys; f = open(sys.argv[1], 'r+b'); f.seek(100); b = f.read(1); "
        'f.seek(100); f.write(bytes([b[0] ^ 1])); f.close()" ' + path,
        check=True,
    )


def test_a_file_changed_at_the_far_end_is_found_and_the_copy_redone(
    far, known_hosts, big_snapshot, tmp_path
):
    config = make_config(tmp_path, far, known_hosts, "/srv/changed")
    assert offsite("push", str(big_snapshot), config=config)[0] == 0
    remote = f"/srv/changed/{SITE}/{NAME}"
    victim = "library_loan.py"
    size = (big_snapshot / victim).stat().st_size
    flip_a_byte(far, f"{remote}/{victim}")
    assert far_sums(far, remote)[victim] != local_sums(big_snapshot)[victim]

    status, checked, err = offsite("verify", NAME, "--site", SITE, config=config)
    assert status == 1 and checked["ok"] is False
    assert checked["problems"] == [f"{victim}: SHA-256 differs from the manifest"]
    assert victim in err

    status, result, err = offsite("push", str(big_snapshot), config=config)
    assert status == 0, err
    pushed = result["pushed"][0]
    assert pushed["changed_far_end"] == [victim]
    assert pushed["already_offsite"] is False
    assert pushed["bytes_sent"] == size  # only the changed file travels again
    assert far_sums(far, remote) == local_sums(big_snapshot)
    assert sorted(os.listdir(far.fs / "srv/changed" / SITE)) == [NAME]
    assert offsite("verify", NAME, "--site", SITE, config=config)[0] == 0

    # without the JSON too: the push says what changed at the far end
    flip_a_byte(far, f"{remote}/manifest.json")
    plain = datamig("offsite", "push", str(big_snapshot), "--config", str(config))
    assert "changed at the far end: manifest.json" in plain.stderr
    assert far_sums(far, remote) == local_sums(big_snapshot)


def partial_bytes(far, base: str) -> int:
    folder = far.fs / base.lstrip("/") / SITE / f".partial-{NAME}"
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.exists() else 0


def test_a_copy_cut_off_half_way_is_not_listed_and_the_next_push_resumes(
    far, known_hosts, big_snapshot, tmp_path
):
    total = sum(p.stat().st_size for p in big_snapshot.rglob("*") if p.is_file())
    slow = make_config(tmp_path, far, known_hosts, "/srv/cut", bandwidth_limit=1_500_000)
    fast = make_config(tmp_path, far, known_hosts, "/srv/cut")
    push = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "datamig",
            "offsite",
            "push",
            str(big_snapshot),
            "--config",
            str(slow),
            "--json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    deadline = time.monotonic() + 20
    while partial_bytes(far, "/srv/cut") < 1_500_000:
        assert push.poll() is None, push.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    # the far end drops the connection (its sshd session dies) mid-way
    far.run("pkill -KILL -f 'sshd: root@nott[y]'", check=True)
    out, err = push.communicate(timeout=30)
    assert push.returncode == 1, (out, err)
    failure = json.loads(out.strip().splitlines()[-1])
    assert failure["ok"] is False and failure["kind"] == "offsite_failed"
    assert f"pushing {NAME}" in failure["error"]
    cut_at = partial_bytes(far, "/srv/cut")
    assert 1_500_000 <= cut_at < total
    assert not (far.fs / "srv/cut" / SITE / NAME).exists()
    status, listed, _ = offsite("list", "--site", SITE, config=fast)
    assert listed["snapshots"] == [] and listed["partial"] == [NAME]

    status, result, err = offsite("push", str(big_snapshot), config=fast)
    assert status == 0, err
    pushed = result["pushed"][0]
    assert pushed["bytes_resumed"] > 0 and pushed["bytes_sent"] < total
    assert pushed["bytes_resumed"] + pushed["bytes_sent"] == total
    assert pushed["bytes_resumed"] >= cut_at - 2 * 32 * 1024  # at most a block in flight lost
    assert far_sums(far, f"/srv/cut/{SITE}/{NAME}") == local_sums(big_snapshot)
    assert offsite("list", "--site", SITE, config=fast)[1]["snapshots"] == [NAME]


def test_fetch_gives_an_identical_copy_that_verifies(far, known_hosts, big_snapshot, tmp_path):
    config = make_config(tmp_path, far, known_hosts, "/srv/fetch")
    assert offsite("push", str(big_snapshot), config=config)[0] == 0
    # a folder named like an old fetch's temporary one, with half of the largest file and
    # a planted module: a fetch starts in a fresh mkdtemp folder and uses none of it
    largest = max(
        (p for p in big_snapshot.rglob("*") if p.is_file()), key=lambda p: p.stat().st_size
    )
    rel = largest.relative_to(big_snapshot)
    half = largest.stat().st_size // 2
    target = tmp_path / "recovered" / NAME
    planted = tmp_path / "recovered" / f".fetch-{NAME}"
    leftover = planted / rel
    leftover.parent.mkdir(parents=True, mode=0o700)
    leftover.write_bytes(largest.read_bytes()[:half])
    (planted / "json.py").write_text("raise SystemExit('planted')\n")

    status, result, err = offsite("fetch", NAME, str(target), "--site", SITE, config=config)
    assert status == 0, err
    total = sum(p.stat().st_size for p in big_snapshot.rglob("*") if p.is_file())
    assert result["bytes_resumed"] == 0
    assert result["bytes_sent"] == total
    assert local_sums(target) == local_sums(big_snapshot)
    assert not (target / "json.py").exists()
    assert sorted(os.listdir(tmp_path / "recovered")) == [f".fetch-{NAME}", NAME]
    for path in [target, *target.rglob("*")]:
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path
    verified = datamig("verify", str(target), "--json")
    assert json.loads(verified.stdout)["ok"] is True
    # a folder that holds something is not overwritten
    status, error, _ = offsite("fetch", NAME, str(target), "--site", SITE, config=config)
    assert status == 1 and "not an empty folder" in error["error"]


def test_prune_at_the_far_end_keeps_exactly_the_policy(far, known_hosts, big_snapshot, tmp_path):
    config = make_config(
        tmp_path,
        far,
        known_hosts,
        "/srv/prune",
        site=SITE,
        keep_last=2,
        keep_daily=3,
        keep_weekly=2,
    )
    assert offsite("push", str(big_snapshot), config=config)[0] == 0
    # far-end copies over a calendar (Fri 6 .. Tue 24 Nov 2026), plus partial copies and a
    # copy whose name is not a time
    names = [
        "20261106T030000Z",
        "20261108T030000Z",  # Sun: newest of the week 2-8 Nov
        "20261112T030000Z",
        "20261115T030000Z",  # Sun: newest of the week 9-15 Nov
        "20261120T030000Z",
        "20261122T030000Z",  # Sun: newest of the week 16-22 Nov
        "20261123T030000Z",
        "20261124T010000Z",
    ]  # and NAME: 20261124T030000Z
    base = f"/srv/prune/{SITE}"
    for name in [*names, "manual-before-migration"]:
        far.run(f"cp -a {base}/{NAME} {base}/{name}", check=True)
    for name in ("20261101T030000Z", "20261124T040000Z"):
        far.run(f"mkdir {base}/.partial-{name}", check=True)

    status, result, err = offsite("prune", "--dry-run", config=config)
    assert status == 0, err
    assert sorted(os.listdir(far.fs / "srv/prune" / SITE)).count(NAME) == 1
    assert len(os.listdir(far.fs / "srv/prune" / SITE)) == 12  # nothing removed

    status, result, err = offsite("prune", config=config)
    assert status == 0, err
    # last 2: 24 Nov 03:00 and 01:00; daily 3: 24 (03:00), 23, 22 Nov;
    # weekly 2: weeks of 23 Nov (24th 03:00) and 16 Nov (Sun 22)
    kept = [NAME, "20261124T010000Z", "20261123T030000Z", "20261122T030000Z"]
    assert result["kept"] == sorted(kept)
    assert result["deleted"] == [
        "20261106T030000Z",
        "20261108T030000Z",
        "20261112T030000Z",
        "20261115T030000Z",
        "20261120T030000Z",
    ]
    # a partial copy older than the oldest kept one could only ever be pruned: removed
    assert result["partial_removed"] == [".partial-20261101T030000Z"]
    assert result["left_alone"] == ["manual-before-migration"]
    assert sorted(os.listdir(far.fs / "srv/prune" / SITE)) == sorted(
        [*kept, "manual-before-migration", ".partial-20261124T040000Z"]
    )
    # the command line's counts override the config's; the newest is always kept
    status, result, _ = offsite(
        "prune", "--keep-last", "0", "--keep-daily", "0", "--keep-weekly", "0", config=config
    )
    assert result["kept"] == [NAME]
    assert offsite("list", config=config)[1]["snapshots"] == sorted(
        [NAME, "manual-before-migration"]
    )


def test_host_keys_and_the_config_file_are_checked(far, known_hosts, big_snapshot, tmp_path):
    unknown = tmp_path / "empty_known_hosts"
    unknown.write_text("")
    config = make_config(tmp_path, far, unknown, "/srv/keys")
    status, error, err = offsite("push", str(big_snapshot), config=config)
    assert status == 1 and "is unknown" in error["error"] and str(unknown) in error["error"]

    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "other")], check=True
    )
    other = (tmp_path / "other.pub").read_text().split()
    changed = tmp_path / "changed_known_hosts"
    changed.write_text(f"{far.address} {other[0]} {other[1]}\n")
    config = make_config(tmp_path, far, changed, "/srv/keys")
    status, error, err = offsite("push", str(big_snapshot), config=config)
    assert status == 1 and "differs from the one in" in error["error"]
    assert not (far.fs / "srv/keys").exists()  # nothing was sent

    wrong_key = make_config(tmp_path, far, known_hosts, "/srv/keys")
    data = json.loads(wrong_key.read_text())
    data["key_file"] = str(tmp_path / "other")
    wrong_key.write_text(json.dumps(data))
    status, error, err = offsite("list", "--site", SITE, config=wrong_key)
    assert status == 1 and "refused the key" in error["error"]
    assert "PRIVATE KEY" not in err + json.dumps(error)

    config = make_config(tmp_path, far, known_hosts, "/srv/keys")
    config.chmod(0o644)
    status, error, err = offsite("list", "--site", SITE, config=config)
    assert status == 1 and error["kind"] == "offsite_config"
    assert "mode 0644" in error["error"] and "chmod 600" in error["error"]


def test_offsite_key_and_known_hosts_modes_are_checked(far, known_hosts, tmp_path):
    key = tmp_path / "client_key"
    shutil.copy(far.network.client_key, key)
    hosts = tmp_path / "known_hosts_copy"
    shutil.copy(known_hosts, hosts)
    config = make_config(tmp_path, far, hosts, "/srv/modes")
    data = json.loads(config.read_text())
    data["key_file"] = str(key)
    config.write_text(json.dumps(data))
    for path, mode, what in ((key, 0o640, "key_file"), (hosts, 0o666, "known_hosts")):
        key.chmod(0o600)
        hosts.chmod(0o644)
        path.chmod(mode)
        status, error, _err = offsite("list", "--site", SITE, config=config)
        assert status == 1 and error["kind"] == "offsite_config", error
        assert what in error["error"] and f"mode {mode:04o}" in error["error"]
    hosts.chmod(0o644)
    key.chmod(0o600)
    assert offsite("list", "--site", SITE, config=config)[0] == 0


def test_a_copy_the_far_end_rewrote_is_refused_by_verify_and_fetch(
    far, known_hosts, big_snapshot, tmp_path
):
    """The far end changes a data file into code and recomputes the manifest: it holds
    no key, so the signature no longer matches; nothing is downloaded."""
    config = make_config(tmp_path, far, known_hosts, "/srv/forged")
    assert offsite("push", str(big_snapshot), config=config)[0] == 0
    remote = far.fs / "srv/forged" / SITE / NAME
    marker = tmp_path / "PAYLOAD-RAN"
    data = next(p for p in sorted(remote.glob("*.py")) if p.name != "restore.py")
    data.write_text(data.read_text() + f"open({str(marker)!r}, 'w').close()\n")
    manifest = json.loads((remote / "manifest.json").read_text())
    raw = data.read_bytes()
    manifest["files"][data.name] = {"size": len(raw), "sha256": hashlib.sha256(raw).hexdigest()}
    (remote / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")

    status, result, _err = offsite("verify", NAME, "--site", SITE, config=config)
    assert status == 1 and "does not match its signature" in result["error"]
    target = tmp_path / "fetched" / NAME
    status, result, _err = offsite("fetch", NAME, str(target), "--site", SITE, config=config)
    assert status == 1 and "does not match its signature" in result["error"]
    assert not target.exists() and not marker.exists()
    assert not (tmp_path / "fetched").exists() or os.listdir(tmp_path / "fetched") == []
    # without the signature at all: refused as unsigned
    (remote / "manifest.sig").unlink()
    status, result, _err = offsite("fetch", NAME, str(target), "--site", SITE, config=config)
    assert status == 1 and "is not signed" in result["error"]
    assert not target.exists() and not marker.exists()


def _age_config(tmp_path: Path, far, known_hosts: Path, base: str, identity: bool) -> Path:
    from pyrage import x25519

    secret = x25519.Identity.generate()
    key = tmp_path / f"age-{len(list(tmp_path.glob('age-*')))}.key"
    key.write_text(f"# datamig test\n{secret}\n")
    key.chmod(0o600)
    extra: dict = {"recipients": [str(secret.to_public())]}
    if identity:
        extra["identity_file"] = str(key)
    return make_config(tmp_path, far, known_hosts, base, **extra)


def test_encrypted_copies_hold_no_plaintext_and_fetch_decrypts(
    far, known_hosts, big_snapshot, tmp_path
):
    import re

    config = _age_config(tmp_path, far, known_hosts, "/srv/age", identity=True)
    status, result, err = offsite("push", str(big_snapshot), config=config)
    assert status == 0, err
    assert result["pushed"][0]["encrypted"] is True
    remote = f"/srv/age/{SITE}/{NAME}"
    # a value of a row, and the manifest's own text, appear nowhere at the far end
    data = next(p for p in sorted(big_snapshot.glob("*.py")) if p.stat().st_size > 100_000)
    value = next(v for v in re.findall(r'"([^"\\]{12,})"', data.read_text()) if " " in v)
    for needle in (value, '"total_rows"'):
        found = far.run(["grep", "-r", "-F", "-l", "-e", needle, "/srv/age"])
        assert found.returncode == 1, (needle, found.stdout)
    names = set(far_sums(far, remote))
    assert names == {f"{n}.age" for n in local_sums(big_snapshot)} | {
        "offsite.json",
        "offsite.sig",
    }
    status, verified, err = offsite(
        "verify", NAME, "--site", SITE, "--local", str(big_snapshot), config=config
    )
    assert status == 0 and verified["ok"], (verified, err)
    again = offsite("push", str(big_snapshot), config=config)[1]["pushed"][0]
    assert again["already_offsite"] is True and again["bytes_sent"] == 0

    target = tmp_path / "back" / NAME
    status, _fetched, err = offsite("fetch", NAME, str(target), "--site", SITE, config=config)
    assert status == 0, err
    assert local_sums(target) == local_sums(big_snapshot)
    assert sorted(os.listdir(tmp_path / "back")) == [NAME]  # no temporary folder left
    assert json.loads(datamig("verify", str(target), "--json").stdout)["signed"] is True

    # without the private key: refused, nothing left behind
    no_key = _age_config(tmp_path, far, known_hosts, "/srv/age", identity=False)
    elsewhere = tmp_path / "nokey" / NAME
    status, error, _ = offsite("fetch", NAME, str(elsewhere), "--site", SITE, config=no_key)
    assert status == 1 and "set identity_file" in error["error"]
    # the far end rewrites a ciphertext and its index: the index's signature refuses it
    index_path = far.fs / remote.lstrip("/") / "offsite.json"
    index = json.loads(index_path.read_text())
    victim = far.fs / remote.lstrip("/") / "manifest.json.age"
    victim.write_bytes(victim.read_bytes()[:-1] + b"x")
    raw = victim.read_bytes()
    index["files"]["manifest.json.age"] = {
        "size": len(raw),
        "sha256": hashlib.sha256(raw).hexdigest(),
    }
    index_path.write_text(json.dumps(index))
    for args in (("verify", NAME), ("fetch", NAME, str(tmp_path / "forged" / NAME))):
        status, error, _ = offsite(*args, "--site", SITE, config=config)
        assert status == 1 and "does not match its signature" in error["error"], error
    assert not (tmp_path / "forged" / NAME).exists()


def scheduled(db: Database, snapshots: Path, now: str, config: Path):
    result = datamig(
        "scheduled-snapshot",
        *db.site.args(),
        "--snapshots-dir",
        str(snapshots),
        "--lock",
        str(snapshots.parent / "site.lock"),
        "--now",
        now,
        "--offsite",
        str(config),
        "--json",
        db=db,
        check=False,
    )
    return result.returncode, json.loads(result.stdout.strip().splitlines()[-1])


def test_scheduled_runs_copy_off_site_and_catch_up_after_a_failure(
    far, known_hosts, small_db, tmp_path
):
    good = make_config(tmp_path, far, known_hosts, "/srv/scheduled", keep_last=2)
    down = make_config(tmp_path, far, known_hosts, "/srv/scheduled", keep_last=2, port=2222)
    snapshots = tmp_path / "snapshots"
    status, first = scheduled(small_db, snapshots, "2026-11-22T03:00:00Z", good)
    assert status == 0, first
    assert first["offsite"]["verified"] == ["20261122T030000Z"]
    # the far end cannot be reached: the local snapshot stays, the run fails loudly
    status, second = scheduled(small_db, snapshots, "2026-11-23T03:00:00Z", down)
    assert status == 1
    assert second["outcome"] == "offsite_failed" and second["kind"] == "offsite_failed"
    assert "cannot reach" in second["reason"] and ":2222" in second["reason"]
    assert (snapshots / "scheduled" / "20261123T030000Z" / "manifest.json").exists()
    assert not (snapshots.parent / "site.lock").exists()
    # the next run copies what the far end missed, then prunes it to the config's 2
    status, third = scheduled(small_db, snapshots, "2026-11-24T03:00:00Z", good)
    assert status == 0, third
    assert third["offsite"]["verified"] == ["20261123T030000Z", "20261124T030000Z"]
    assert third["offsite"]["kept"] == ["20261123T030000Z", "20261124T030000Z"]
    assert third["offsite"]["deleted"] == ["20261122T030000Z"]
    far_site = far.fs / "srv/scheduled" / SITE
    assert sorted(os.listdir(far_site)) == ["20261123T030000Z", "20261124T030000Z"]
    for name in os.listdir(far_site):
        assert far_sums(far, f"/srv/scheduled/{SITE}/{name}") == local_sums(
            snapshots / "scheduled" / name
        )
    shutil.rmtree(snapshots)


def test_config_files_are_checked(tmp_path):
    from datamig.offsite_config import OffsiteConfigError, load_config

    (tmp_path / "key").write_text("not read here")
    (tmp_path / "key").chmod(0o600)
    (tmp_path / "known").write_text("")

    def config(**data) -> Path:
        path = tmp_path / "c.json"
        path.write_text(json.dumps(data))
        path.chmod(0o600)
        return path

    base = {"host": "far", "user": "u", "key_file": "key", "known_hosts": "known", "path": "/b/"}
    loaded = load_config(str(config(**base, port="2222", keep_daily="7", site="")))
    # relative files are next to the config; a templated "2222" is a number
    assert loaded.key_file == str(tmp_path / "key")
    assert loaded.known_hosts == str(tmp_path / "known")
    assert (loaded.port, loaded.keep_daily, loaded.keep_last, loaded.bandwidth_limit) == (
        2222,
        7,
        0,
        0,
    )
    assert loaded.path == "/b" and loaded.site is None
    for data, message in [
        ({**base, "passwrd": "x"}, "unknown setting(s) passwrd"),
        ({k: v for k, v in base.items() if k != "known_hosts"}, "missing known_hosts"),
        ({**base, "known_hosts": "nowhere"}, "known_hosts file"),
        ({**base, "keep_last": -1}, "keep_last must be a whole number"),
        ({**base, "port": 70000}, "port 70000 is out of range"),
        ({**base, "site": "../etc"}, "is not a folder name"),
    ]:
        with pytest.raises(
            OffsiteConfigError, match=message.replace("(", r"\(").replace(")", r"\)")
        ):
            load_config(str(config(**data)))
    path = config(**base)
    path.chmod(0o640)
    with pytest.raises(OffsiteConfigError, match="mode 0640"):
        load_config(str(path))


def test_a_wrong_file_in_a_partial_copy_is_found_by_the_far_end_and_sent_again(
    far, known_hosts, big_snapshot, tmp_path
):
    config = make_config(tmp_path, far, known_hosts, "/srv/resend")
    victim = "library_loan.py"
    size = (big_snapshot / victim).stat().st_size
    partial = f"/srv/resend/{SITE}/.partial-{NAME}"
    # a partial copy whose file has the right size and the wrong bytes: resuming skips
    # it, the far end's sha256sum does not
    far.run(f"mkdir -p {partial} && head -c {size} /dev/zero > {partial}/{victim}", check=True)
    status, result, err = offsite("push", str(big_snapshot), config=config)
    assert status == 0, err
    pushed = result["pushed"][0]
    total = sum(p.stat().st_size for p in big_snapshot.rglob("*") if p.is_file())
    assert pushed["resent"] == [victim]
    assert pushed["bytes_sent"] == total and pushed["bytes_resumed"] == 0
    assert far_sums(far, f"/srv/resend/{SITE}/{NAME}") == local_sums(big_snapshot)
    assert sorted(os.listdir(far.fs / "srv/resend" / SITE)) == [NAME]


def test_an_encrypted_key_takes_its_passphrase_from_the_environment_only(
    far, known_hosts, tmp_path
):
    key = tmp_path / "encrypted_key"
    secret = "correct horse battery staple 7"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", secret, "-f", str(key)], check=True)
    authorized = far.fs / "root/.ssh/authorized_keys"
    authorized.write_text(authorized.read_text() + (tmp_path / "encrypted_key.pub").read_text())
    config = make_config(tmp_path, far, known_hosts, "/srv/passphrase")
    data = json.loads(config.read_text())
    data["key_file"] = str(key)
    config.write_text(json.dumps(data))

    env = {k: v for k, v in os.environ.items() if k != "DATAMIG_OFFSITE_KEY_PASSPHRASE"}
    command = [sys.executable, "-m", "datamig", "offsite", "list", "--site", SITE]
    command += ["--config", str(config), "--json"]
    without = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT)
    assert without.returncode == 1
    assert "is encrypted: set DATAMIG_OFFSITE_KEY_PASSPHRASE" in without.stderr
    env["DATAMIG_OFFSITE_KEY_PASSPHRASE"] = secret
    with_it = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT)
    assert with_it.returncode == 0, with_it.stderr
    assert json.loads(with_it.stdout)["snapshots"] == []
    env["DATAMIG_OFFSITE_KEY_PASSPHRASE"] = "wrong"
    wrong = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT)
    assert wrong.returncode == 1 and "cannot be loaded" in wrong.stderr
    for result in (without, with_it, wrong):
        assert secret not in result.stdout + result.stderr
        assert "PRIVATE KEY" not in result.stdout + result.stderr


class _LyingFarEnd:
    """A far end whose sha256sum never agrees: what push does when a copy cannot be made
    right (no SSH needed to see the rounds)."""

    def __init__(self) -> None:
        self.uploads: list[tuple[str, int]] = []
        self.sftp = self
        self.files: dict[str, int] = {}

    def makedirs(self, path: str) -> None:
        pass

    def chmod(self, path: str, mode: int) -> None:
        pass

    def is_dir(self, path: str) -> bool:
        return False

    def size(self, path: str):
        return self.files.get(path)

    def upload(self, local, remote, offset, total, sent) -> None:
        self.uploads.append((remote.rsplit("/", 1)[1], offset))
        self.files[remote] = total
        sent(total - offset)

    def sha256(self, directory, names):
        return {name: "0" * 64 for name in names}

    def rename(self, source, target) -> None:
        raise AssertionError("a copy that never verified must not get its name")


def test_a_copy_the_far_end_never_confirms_fails_after_bounded_rounds(tmp_path):
    from datamig.offsite import SEND_ROUNDS, Offsite
    from datamig.offsite_config import OffsiteConfig
    from datamig.runtime.manifest import file_entry
    from datamig.sshlink import OffsiteError

    folder = tmp_path / NAME
    folder.mkdir()
    (folder / "a.py").write_text("a = 1\n")
    (folder / "b.py").write_text("b = 2\n")
    manifest = {
        "format": 1,
        "site": SITE,
        "files": {n: file_entry(str(folder / n)) for n in ("a.py", "b.py")},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    config = OffsiteConfig(host="far", user="u", key_file="k", known_hosts="h", path="/b")
    offsite = Offsite(config, trust_unsigned=True)  # a made-up snapshot, not signed
    offsite.link = _LyingFarEnd()
    with pytest.raises(OffsiteError, match=f"still differs after {SEND_ROUNDS} rounds: a.py, b.py"):
        offsite.push(str(folder))
    # round 1 sends everything (manifest.json last); rounds 2 and 3 send again from 0
    assert offsite.link.uploads == [("a.py", 0), ("b.py", 0), ("manifest.json", 0)] * SEND_ROUNDS
