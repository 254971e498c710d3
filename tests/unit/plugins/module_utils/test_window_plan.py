"""window_plan: the next step and the rollback for every point of the window."""

import pytest

from ansible_collections.datamig.site.plugins.module_utils import window_plan  # isort: skip


def _upto(step, status):
    index = window_plan.STEPS.index(step)
    steps = {s: "done" for s in window_plan.STEPS[:index]}
    steps[step] = status
    return steps


def test_next_step_is_the_first_not_done():
    assert window_plan.next_step({}) == "maintenance_on"
    assert window_plan.next_step(_upto("restore", "failed")) == "restore"
    assert window_plan.next_step({s: "done" for s in window_plan.STEPS}) is None


@pytest.mark.parametrize(
    ("step", "status", "kind"),
    [
        ("maintenance_on", "started", window_plan.RESTART_OLD),
        ("snapshot", "failed", window_plan.RESTART_OLD),
        ("restore", "started", window_plan.RESTART_OLD),
        ("verify", "failed", window_plan.RESTART_OLD),
        ("switch", "started", window_plan.SWITCH_BACK),
        ("health", "failed", window_plan.SWITCH_BACK),
        ("maintenance_off", "failed", window_plan.KEEP),
    ],
)
def test_rollback_kind_at_each_point(step, status, kind):
    assert window_plan.rollback_kind(_upto(step, status)) == kind
