"""datamig.live_database: the name an adopted site's settings read from its site.env."""

from __future__ import annotations

import shlex

import pytest

from datamig.live_database import LiveDatabaseError, database_name, read_assignment

VAR = "PRJ_DB_NAME"


@pytest.mark.parametrize(
    "value",
    ["prj_2_20261204T101500Z", "/var/lib/datamig/prj/shared/db/my site's.sqlite3", "é $x `y`"],
)
def test_the_value_the_switch_wrote_reads_back_exactly(tmp_path, monkeypatch, value):
    monkeypatch.delenv(VAR, raising=False)
    env = tmp_path / "site.env"
    env.write_text(f"# header\nOTHER=1\n{VAR}=old\nexport {VAR}={shlex.quote(value)}\n")
    assert database_name(str(env), VAR) == value


def test_the_environment_wins_over_the_file(tmp_path, monkeypatch):
    env = tmp_path / "site.env"
    env.write_text(f"{VAR}=live\n")
    monkeypatch.setenv(VAR, "new_beside_the_live_one")
    assert database_name(str(env), VAR) == "new_beside_the_live_one"


def test_a_missing_file_or_variable_is_an_error_never_a_fallback(tmp_path, monkeypatch):
    monkeypatch.delenv(VAR, raising=False)
    with pytest.raises(LiveDatabaseError, match=r"cannot read .*names this site's live database"):
        database_name(str(tmp_path / "absent.env"), VAR)
    env = tmp_path / "site.env"
    env.write_text("OTHER_DB_NAME=x\n")
    with pytest.raises(LiveDatabaseError, match=f"does not set {VAR}"):
        database_name(str(env), VAR)
    env.write_text(f"{VAR}=''\n")
    with pytest.raises(LiveDatabaseError, match="sets PRJ_DB_NAME to nothing"):
        database_name(str(env), VAR)
    env.write_text(f"{VAR}='unclosed\n")
    with pytest.raises(LiveDatabaseError, match="line 1"):
        read_assignment(str(env), VAR)
