"""datamig.site.site_info: the site's state, read once, as facts the roles use."""

import os

from ...helpers import run_module

from ansible_collections.datamig.site.plugins.modules import site_info  # isort: skip


def test_facts_carry_the_roles_names(tmp_path):
    (tmp_path / "releases" / "1").mkdir(parents=True)
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "site.env").write_text("DB='a b'\nPW='it'\"'\"'s $x'\n")
    os.symlink(tmp_path / "releases" / "1", tmp_path / "current")
    result = run_module(
        site_info, {"root": str(tmp_path), "db_name_var": "DB", "secret_keys": ["PW"]}
    )
    assert not result.failed, result
    facts = result["ansible_facts"]
    assert facts["common_live_release"] == str(tmp_path / "releases" / "1")
    assert facts["common_live_db_name"] == "a b"
    assert facts["common_engine_env_secret"] == {"PW": "it's $x"}
    # every engine run the roles make signs and checks with the site's own key folder
    keys = str(tmp_path / "shared" / "keys")
    assert facts["common_engine_env_plain"] == {"DB": "a b", "DATAMIG_KEY_DIR": keys}
    assert facts["common_key_dir"] == keys
    assert result["plain_env"] == {"DB": "a b"}  # site.env's own variables, as they are
    assert facts["common_lock_path"] == str(tmp_path / "datamig.lock")
    assert facts["common_rollback_target"] is None
    assert result["changed"] is False


def test_a_site_env_the_shell_would_expand_fails_naming_the_line(tmp_path):
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "site.env").write_text("DB=x\nPW=$SECRET\n")
    result = run_module(site_info, {"root": str(tmp_path), "db_name_var": "DB"})
    assert result.failed
    assert "site.env line 2" in result["msg"]


def test_a_site_not_deployed_has_no_live_release(tmp_path):
    result = run_module(site_info, {"root": str(tmp_path), "db_name_var": "DB"})
    assert not result.failed, result
    assert result["live_release"] == "" and result["env_exists"] is False
