"""datamig.site.maintenance: the flag file the web server checks for the maintenance page."""

import json
import os
import stat

import pytest

from ...helpers import run_module

from ansible_collections.datamig.site.plugins.modules import maintenance  # isort: skip


def ok(check_mode=False, **args):
    """Run the module in this process; its result, which must not be a failure."""
    result = run_module(maintenance, args, check_mode=check_mode)
    assert not result.failed, result
    return result


def fails(check_mode=False, **args):
    """Run the module in this process; its failure."""
    result = run_module(maintenance, args, check_mode=check_mode)
    assert result.failed, result
    return result


@pytest.fixture
def flag(tmp_path):
    return str(tmp_path / "maintenance.json")


def read_json(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def test_on_writes_the_flag_file_with_reason_since_and_run_id(flag):
    result = ok(path=flag, state="on", reason="Upgrade to 2.4", run_id="run-1")

    assert result["changed"] is True
    assert result["maintenance"] is True
    assert result["reason"] == "Upgrade to 2.4"
    content = read_json(flag)
    assert content == {"reason": "Upgrade to 2.4", "since": result["since"], "run_id": "run-1"}
    assert result["since"].endswith("Z")


def test_on_twice_is_unchanged_and_keeps_since(flag):
    first = ok(path=flag, state="on", reason="Upgrade", run_id="run-1")
    with open(flag, "rb") as handle:
        before = handle.read()

    second = ok(path=flag, state="on", reason="Upgrade", run_id="run-1")

    assert second["changed"] is False
    assert second["since"] == first["since"]
    with open(flag, "rb") as handle:
        assert handle.read() == before


def test_a_new_reason_rewrites_the_flag_but_keeps_since(flag):
    first = ok(path=flag, state="on", reason="Upgrade")

    second = ok(path=flag, state="on", reason="Upgrade, taking longer than planned")

    assert second["changed"] is True
    assert second["since"] == first["since"]
    assert read_json(flag)["reason"] == "Upgrade, taking longer than planned"


def test_off_removes_the_flag_and_tells_when_maintenance_began(flag):
    on = ok(path=flag, state="on")

    off = ok(path=flag, state="off")

    assert off == {"changed": True, "maintenance": False, "since": on["since"], "reason": None}
    assert not os.path.exists(flag)


def test_off_without_a_flag_is_unchanged(flag):
    result = ok(path=flag, state="off")

    assert result["changed"] is False
    assert result["since"] is None


def test_check_mode_on_writes_nothing(flag):
    result = ok(path=flag, state="on", reason="Upgrade", check_mode=True)

    assert result["changed"] is True
    assert result["maintenance"] is True
    assert not os.path.exists(flag)
    assert os.listdir(os.path.dirname(flag)) == []


def test_check_mode_off_leaves_the_flag(flag):
    ok(path=flag, state="on")

    result = ok(path=flag, state="off", check_mode=True)

    assert result["changed"] is True
    assert os.path.exists(flag)


def test_mode_is_applied_and_idempotent(flag):
    first = ok(path=flag, state="on", mode="0640")
    second = ok(path=flag, state="on", mode="0640")
    third = ok(path=flag, state="on", mode="0600")

    assert (first["changed"], second["changed"], third["changed"]) == (True, False, True)
    assert stat.S_IMODE(os.stat(flag).st_mode) == 0o600


def test_yaml_on_and_off_read_as_booleans_still_work(flag):
    # state: on (unquoted) reaches the module as True
    assert ok(path=flag, state=True)["maintenance"] is True
    assert ok(path=flag, state=False)["maintenance"] is False
    assert not os.path.exists(flag)


def test_a_hand_made_flag_file_counts_as_maintenance_and_becomes_json(flag):
    with open(flag, "w", encoding="utf-8") as handle:
        handle.write("down for maintenance\n")
    os.utime(flag, (1_700_000_000, 1_700_000_000))

    result = ok(path=flag, state="on", reason="Upgrade")

    assert result["changed"] is True
    assert result["since"] == "2023-11-14T22:13:20.000000Z"  # the hand-made file's mtime
    assert read_json(flag)["reason"] == "Upgrade"


def test_a_missing_directory_fails_clearly_and_creates_nothing(tmp_path):
    path = str(tmp_path / "nowhere" / "maintenance.json")

    failed = fails(path=path, state="on")

    assert "does not exist" in failed["msg"]
    assert not os.path.exists(tmp_path / "nowhere")
