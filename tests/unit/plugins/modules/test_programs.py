"""datamig.site.programs: the site's programs driven through supervisorctl (a fake)."""

from ...helpers import run_module
from ..module_utils.test_supervisor_programs import Supervisor

from ansible_collections.datamig.site.plugins.modules import programs  # isort: skip


def test_started_programs_are_left_alone_and_stopped_ones_stopped(monkeypatch):
    sup = Supervisor({"shop": "RUNNING", "shop-worker": "RUNNING"})
    monkeypatch.setattr(programs, "run_command", sup.run)
    args = {"names": ["shop", "shop-worker"], "supervisor_config": "/s.conf"}
    result = run_module(programs, args)
    assert not result.failed and result["changed"] is False
    assert [call[0] for call in sup.calls] == ["status"]
    stopped = run_module(programs, dict(args, state="stopped"))
    assert stopped["changed"] is True
    assert stopped["states"] == {"shop": "STOPPED", "shop-worker": "STOPPED"}


def test_check_mode_changes_nothing_and_a_failure_names_the_process(monkeypatch):
    sup = Supervisor({"shop": "STOPPED", "shop-worker": "STOPPED"}, fails={"shop-worker"})
    monkeypatch.setattr(programs, "run_command", sup.run)
    args = {"names": ["shop", "shop-worker"], "state": "restarted"}
    checked = run_module(programs, args, check_mode=True)
    assert checked["changed"] is True and set(sup.processes.values()) == {"STOPPED"}
    failed = run_module(programs, args)
    assert failed.failed and "should be RUNNING" in failed["msg"] and "FATAL" in failed["msg"]
