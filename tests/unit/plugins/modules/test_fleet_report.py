"""datamig.site.fleet_report: every site of the run is in the report (not reached ones
too), outcomes and totals add up, concurrent writers lose nothing, check mode writes
nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ...helpers import COLLECTIONS, run_module

from ansible_collections.datamig.site.plugins.modules import fleet_report  # isort: skip

SITES = {"alpha": "10.0.0.1", "beta": "10.0.0.1", "gamma": "10.0.0.2", "delta": "10.0.0.2"}
UPGRADED = {
    "run_id": "r1",
    "outcome": "upgraded",
    "version_from": "1",
    "version_to": "2",
    "downtime_seconds": "12.5",
    "rows_restored": 100,
    "losses": {"models": {"notes.Mention": {"*row": {"count": 7, "reason": "model removed"}}}},
}
ROLLED_BACK = {
    "outcome": "rolled back",
    "version_from": "1",
    "version_to": "2",
    "failed_step": "health",
    "reason": "status 500 | not 200",
    "downtime_seconds": 30.0,
    "rows_restored": 90,
}


def _args(tmp_path: Path, site: str, report: dict, **extra) -> dict:
    return {
        "dest": str(tmp_path),
        "run": "run1",
        "site": site,
        "report": report,
        "sites": SITES,
        **extra,
    }


def test_sites_not_reached_are_listed_and_totals_add_up(tmp_path: Path):
    first = run_module(fleet_report, _args(tmp_path, "alpha", UPGRADED))
    assert not first.failed, first
    assert first["totals"]["outcomes"] == {"upgraded": 1, "not reached": 3}
    second = run_module(fleet_report, _args(tmp_path, "beta", ROLLED_BACK, warnings=["recovered"]))
    report = json.loads(Path(second["json"]).read_text())
    by_site = {row["site"]: row for row in report["sites"]}
    assert set(by_site) == set(SITES)
    assert by_site["alpha"]["warnings"] == ["not restored: notes.Mention: 7 (model removed)"]
    assert by_site["beta"]["failed_step"] == "health" and by_site["beta"]["warnings"] == [
        "recovered"
    ]
    assert by_site["gamma"] == {"site": "gamma", "server": "10.0.0.2", "outcome": "not reached"}
    assert report["totals"] == {
        "sites": 4,
        "outcomes": {"upgraded": 1, "rolled back": 1, "not reached": 2},
        "not_reached": 2,
        "downtime_seconds_max": 30.0,
        "downtime_seconds_total": 42.5,
        "rows_restored": 190,
    }
    markdown = Path(second["markdown"]).read_text()
    assert (
        "| beta | 10.0.0.1 | 1 | 2 | rolled back | health | status 500 \\| not 200 | 30.0 | 90 | recovered |"
        in markdown
    )
    assert (
        "4 sites: 1 not reached" not in markdown
        and "2 not reached, 1 rolled back, 1 upgraded" in markdown
    )


def test_check_mode_writes_nothing(tmp_path: Path):
    result = run_module(fleet_report, _args(tmp_path, "alpha", UPGRADED), check_mode=True)
    assert not result.failed and result["totals"]["outcomes"]["upgraded"] == 1
    assert list(tmp_path.iterdir()) == []


def test_a_run_id_that_is_not_a_folder_name_is_refused(tmp_path: Path):
    result = run_module(fleet_report, {**_args(tmp_path, "alpha", UPGRADED), "run": "../x"})
    assert result.failed and "not a usable folder name" in result["msg"]
    assert list(tmp_path.iterdir()) == []


WRITER = """
import sys
sys.path[:0] = [{collections!r}, {root!r}]
from tests.unit.helpers import run_module
from ansible_collections.datamig.site.plugins.modules import fleet_report
sites = {{f"s{{n}}": "h" for n in range(12)}}
for n in range(int(sys.argv[1]), 12, 3):
    result = run_module(fleet_report, {{"dest": {dest!r}, "run": "r", "site": f"s{{n}}",
                        "report": {{"outcome": "upgraded", "rows_restored": n}}, "sites": sites}})
    assert not result.failed, result
"""


def test_concurrent_writers_lose_nothing(tmp_path: Path):
    root = str(Path(__file__).resolve().parents[4])
    code = WRITER.format(collections=str(COLLECTIONS), root=root, dest=str(tmp_path))
    writers = [subprocess.Popen([sys.executable, "-c", code, str(n)]) for n in range(3)]
    assert [w.wait(timeout=120) for w in writers] == [0, 0, 0]
    report = json.loads((tmp_path / "r" / "fleet.json").read_text())
    assert report["totals"]["outcomes"] == {"upgraded": 12}
    assert report["totals"]["rows_restored"] == sum(range(12))
    assert not list((tmp_path / "r").rglob(".tmp-*"))
