"""datamig.site.signing_key against the real engine: the site's key folder, a key from the
vault installed (the replaced one still trusted), other nodes' keys trusted, bad input
refused with nothing changed, the key never in a result."""

import os
import pwd
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

from ...helpers import PYTHON, run_module

from ansible_collections.datamig.site.plugins.modules import signing_key  # isort: skip


def _engine_key(tmp_path, name):
    """A key folder made by the engine itself: (its signing.key, its public line)."""
    folder = tmp_path / name
    shown = subprocess.run(
        [PYTHON, "-m", "datamig", "key", "show", "--key-dir", str(folder)],
        check=True,
        capture_output=True,
        text=True,
    )
    return (folder / "signing.key").read_text(), shown.stdout.strip().splitlines()[-1]


def _args(folder, **extra):
    return {"python": PYTHON, "key_dir": str(folder), **extra}


def _mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_a_new_folder_gets_its_own_key_once(tmp_path):
    folder = tmp_path / "shared" / "keys"
    (tmp_path / "shared").mkdir()
    checked = run_module(signing_key, _args(folder), check_mode=True)
    assert checked["changed"] and checked["actions"] == ["made folder", "made key"]
    assert not folder.exists()
    made = run_module(signing_key, _args(folder))
    assert not made.failed, made
    assert made["changed"] and len(made["key"]) == 16
    assert made["public_key"].startswith("datamig-ed25519 ")
    assert _mode(folder) == 0o700 and _mode(folder / "signing.key") == 0o600
    again = run_module(signing_key, _args(folder))
    assert not again["changed"] and again["key"] == made["key"] and again["actions"] == []


def test_the_vault_key_replaces_the_folders_own_which_stays_trusted(tmp_path):
    pem, public = _engine_key(tmp_path, "vault")
    folder = tmp_path / "keys"
    own = run_module(signing_key, _args(folder))
    installed = run_module(signing_key, _args(folder, signing_key=pem))
    assert not installed.failed, installed
    assert installed["actions"] == ["kept old key", "installed key"]
    assert installed["public_key"] == public
    assert set(installed["trusted_keys"]) == {own["key"], installed["key"]}
    assert (folder / "signing.key").read_text() == pem and _mode(folder / "signing.key") == 0o600
    assert pem.strip() not in installed.serialized()
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []
    again = run_module(signing_key, _args(folder, signing_key=pem.strip()), check_mode=True)
    assert again["changed"] is False and again["key"] == installed["key"]


def test_another_nodes_key_is_trusted(tmp_path):
    _pem, public = _engine_key(tmp_path, "node")
    folder = tmp_path / "keys"
    trusted = run_module(signing_key, _args(folder, trusted_keys=[public]))
    assert not trusted.failed, trusted
    [action] = [a for a in trusted["actions"] if a.startswith("trusted ")]
    ident = action.split()[1]
    assert ident in trusted["trusted_keys"] and ident != trusted["key"]
    assert (folder / "trusted" / f"{ident}.pub").read_text().strip() == public
    again = run_module(signing_key, _args(folder, trusted_keys=[public]))
    assert again["changed"] is False


def test_bad_keys_are_refused_and_nothing_changes(tmp_path):
    folder = tmp_path / "keys"
    own = run_module(signing_key, _args(folder))
    before = sorted(p.name for p in folder.rglob("*"))
    bad_line = run_module(signing_key, _args(folder, trusted_keys=["ssh-ed25519 AAAA me"]))
    assert bad_line.failed and "trusted key 1: not a datamig public key" in bad_line["msg"]
    secret = "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----"
    bad_pem = run_module(signing_key, _args(folder, signing_key=secret))
    assert bad_pem.failed and "not a key the engine can sign with" in bad_pem["msg"]
    assert "bm90IGEga2V5" not in bad_pem.serialized()
    assert sorted(p.name for p in folder.rglob("*")) == before
    assert run_module(signing_key, _args(folder))["key"] == own["key"]


def _python_for_another_user() -> tuple[str, dict[str, str]]:
    """An interpreter with the engine that another user can run, and its environment: the
    system's Python 3.11 seeing .venv's packages and the engine's source, as a release's
    virtualenv on the test hosts does (this process's own may live under root's home, which
    others cannot enter)."""
    root = Path(__file__).resolve().parents[4]
    [purelib] = (root / ".venv" / "lib").glob("python3.11/site-packages")
    return "/usr/bin/python3", {"PYTHONPATH": f"{root / 'engine'}:{purelib}"}


def test_the_folder_and_the_key_are_the_site_users_with_run_as():
    # the engine runs as nobody: the folder must be reachable by it (not under pytest's 0700 tmp)
    nobody = pwd.getpwnam("nobody")
    python, env = _python_for_another_user()
    base = tempfile.mkdtemp(prefix="dmt-keys-")
    try:
        os.chmod(base, 0o755)
        folder = os.path.join(base, "keys")
        pem, _public = _engine_key(Path(base), "vault")
        _other_pem, other_public = _engine_key(Path(base), "other")
        made = run_module(
            signing_key,
            _args(folder, signing_key=pem, trusted_keys=[other_public], run_as="nobody")
            | {"python": python, "plain_environment": env},
        )
        assert not made.failed, made
        assert made["actions"][:2] == ["made folder", "installed key"], made["actions"]
        assert [a.split()[0] for a in made["actions"][2:]] == ["trusted"], made["actions"]
        for path in (folder, os.path.join(folder, "signing.key")):
            assert (os.lstat(path).st_uid, os.lstat(path).st_gid) == (nobody.pw_uid, nobody.pw_gid)
        # nothing of root's left in it: the engine, as nobody, reads and writes it all
        owners = {os.lstat(os.path.join(d, n)).st_uid for d, _s, fs in os.walk(folder) for n in fs}
        assert owners == {nobody.pw_uid}
        again = run_module(
            signing_key,
            _args(folder, signing_key=pem, run_as="nobody")
            | {"python": python, "plain_environment": env},
        )
        assert not again.failed and not again["changed"], again
    finally:
        shutil.rmtree(base)
