"""signing_keys: the site's key folder in every engine run, and what installing keys changes."""

import base64
import hashlib

import pytest

from ansible_collections.datamig.site.plugins.module_utils import signing_keys  # isort: skip

RAW = bytes(range(32))
LINE = "datamig-ed25519 " + base64.b64encode(RAW).decode()
ID = hashlib.sha256(RAW).hexdigest()[:16]
OTHER = "datamig-ed25519 " + base64.b64encode(bytes(32)).decode()
PEM = "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n"


def test_the_key_folder_is_the_sites_shared_keys_and_goes_into_the_engine_env():
    folder = signing_keys.key_dir("/srv/s/shared")
    assert folder == "/srv/s/shared/keys"
    env = signing_keys.engine_env({"S_DB_NAME": "s"}, folder)
    assert env == {"S_DB_NAME": "s", "DATAMIG_KEY_DIR": "/srv/s/shared/keys"}


def test_a_key_folder_site_env_names_wins():
    env = signing_keys.engine_env({"DATAMIG_KEY_DIR": "/etc/keys"}, "/srv/s/shared/keys")
    assert env == {"DATAMIG_KEY_DIR": "/etc/keys"}


def test_public_key_id_is_the_engines():
    from datamig.keys import key_id, parse_public_line

    assert signing_keys.public_key_id(LINE) == ID == key_id(parse_public_line(LINE, "x"))
    assert signing_keys.public_key_id(f"  {LINE} comment\n") == ID


@pytest.mark.parametrize(
    "line,why",
    [
        ("ssh-ed25519 AAAA", "expected 'datamig-ed25519"),
        ("datamig-ed25519", "expected 'datamig-ed25519"),
        ("datamig-ed25519 !!!", "bad base64"),
        ("datamig-ed25519 " + base64.b64encode(bytes(31)).decode(), "bad base64 or length"),
        ("", "expected"),
    ],
)
def test_a_line_that_is_not_a_public_key_is_refused_naming_it(line, why):
    with pytest.raises(signing_keys.KeyLineError, match="trusted key 2: not a datamig") as info:
        signing_keys.plan(True, PEM, "", [], [OTHER, line])
    assert why in str(info.value)


def test_a_new_folder_without_a_secret_gets_the_engines_own_key():
    plan = signing_keys.plan(False, None, "", [], [])
    assert plan == {
        "make_folder": True,
        "install_key": False,
        "keep_old": False,
        "make_key": True,
        "trust": [],
    }


def test_the_secret_is_installed_over_another_key_which_stays_trusted():
    plan = signing_keys.plan(True, "other pem\n", PEM, [], [])
    assert plan["install_key"] and plan["keep_old"] and not plan["make_key"]
    fresh = signing_keys.plan(True, None, PEM, [], [])
    assert fresh["install_key"] and not fresh["keep_old"] and not fresh["make_key"]


def test_the_same_secret_again_changes_nothing_whatever_its_whitespace():
    plan = signing_keys.plan(True, PEM, "\n" + PEM.strip() + "\n\n", [ID], [LINE])
    assert plan == {
        "make_folder": False,
        "install_key": False,
        "keep_old": False,
        "make_key": False,
        "trust": [],
    }


def test_only_keys_not_trusted_yet_are_trusted_each_once_in_order():
    plan = signing_keys.plan(True, PEM, "", ["0" * 16], [OTHER, LINE, LINE + " again"])
    assert [pair[0] for pair in plan["trust"]] == [signing_keys.public_key_id(OTHER), ID]
    assert plan["trust"][1][1] == LINE


def test_trusted_ids_on_disk(tmp_path):
    assert signing_keys.trusted_ids_on_disk(str(tmp_path)) == []
    (tmp_path / "trusted").mkdir()
    (tmp_path / "trusted" / f"{ID}.pub").write_text(LINE)
    (tmp_path / "trusted" / "notes.txt").write_text("x")
    assert signing_keys.trusted_ids_on_disk(str(tmp_path)) == [ID]
