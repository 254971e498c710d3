"""services.app with several programs: one supervisorctl command for all, every process
(a group's each) in the state asked for, or an error naming them."""

import pytest

from ansible_collections.datamig.site.plugins.module_utils import services  # isort: skip


class Supervisor:
    """supervisorctl as a fake: programs and groups (name:*) with their processes' states."""

    def __init__(self, programs, fails=()):
        self.processes = dict(programs)  # process name -> state
        self.fails = set(fails)  # processes that go FATAL when started
        self.calls = []

    def _match(self, name):
        if name.endswith(":*"):
            group = name[:-2]
            return [p for p in self.processes if p.startswith(group + ":")]
        return [p for p in self.processes if p == name]

    def run(self, argv, timeout, env=None, cwd=None):
        self.calls.append(argv[3:])
        verb, names = argv[3], argv[4:]
        lines = []
        for name in names:
            found = self._match(name)
            if not found:
                lines.append(f"{name.rstrip('*').rstrip(':')}: ERROR (no such process)")
            for process in found:
                if verb == "stop":
                    self.processes[process] = "STOPPED"
                elif verb in ("start", "restart"):
                    self.processes[process] = "FATAL" if process in self.fails else "RUNNING"
                lines.append(f"{process}   {self.processes[process]}   pid 7, uptime 0:00:01")
        return 0, "\n".join(lines) if verb == "status" else "", ""


WEB_AND_GROUP = {"prod1_linod": "STOPPED", "prod1_asgi:prod1_asgi0": "STOPPED",
                 "prod1_asgi:prod1_asgi1": "STOPPED"}  # fmt: skip


def test_every_program_and_every_process_of_a_group_is_started_in_one_command():
    sup = Supervisor(WEB_AND_GROUP)
    services.app(sup.run, "started", "supervisor", ["prod1_asgi:*", "prod1_linod"], "c.conf")
    assert ["start", "prod1_asgi:*", "prod1_linod"] in sup.calls
    assert set(sup.processes.values()) == {"RUNNING"}
    services.app(sup.run, "stopped", "supervisor", ["prod1_asgi:*", "prod1_linod"], "c.conf")
    assert set(sup.processes.values()) == {"STOPPED"}


def test_one_process_that_does_not_start_fails_naming_the_programs():
    sup = Supervisor(WEB_AND_GROUP, fails={"prod1_asgi:prod1_asgi1"})
    with pytest.raises(
        services.ServiceError, match=r"prod1_asgi:\*, prod1_linod\) should be RUNNING"
    ):
        services.app(sup.run, "started", "supervisor", ["prod1_asgi:*", "prod1_linod"], "c.conf")


def test_a_program_supervisor_does_not_know_is_an_error_not_a_success():
    sup = Supervisor({"shop": "RUNNING"})
    with pytest.raises(services.ServiceError, match="no such process"):
        services.app(sup.run, "stopped", "supervisor", ["shop", "shop-worker"], "c.conf")


def test_one_name_is_still_one_program_and_none_is_refused():
    assert services.program_names("shop") == ["shop"]
    assert services.program_names(["a", " b ", ""]) == ["a", "b"]
    with pytest.raises(services.ServiceError, match="no program"):
        services.program_names([])
