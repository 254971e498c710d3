"""datamig.site.cleanup: old releases, SQLite databases and snapshots removed; the live
release and the rollback target never."""

import json
import os

from ...helpers import run_module

from ansible_collections.datamig.site.plugins.module_utils.journal import append_record  # isort: skip
from ansible_collections.datamig.site.plugins.modules import cleanup  # isort: skip


def make_site(root, upgrades):
    """A site deployed at release 1 and upgraded to 2 .. upgrades+1, each run reported."""
    for folder in ("releases", "shared/db", "snapshots", "reports"):
        (root / folder).mkdir(parents=True)
    journal = str(root / "datamig-journal.jsonl")
    for n in range(1, upgrades + 2):
        (root / "releases" / str(n) / "venv" / "bin").mkdir(parents=True)
        os.utime(root / "releases" / str(n), (n, n))
        (root / "shared" / "db" / f"{n}.sqlite3").write_text("db")
        if n == 1:
            continue
        (root / "snapshots" / f"r{n}").mkdir()
        (root / "snapshots" / f"r{n}-lost-values.jsonl").write_text("")
        old = {
            "release": str(root / "releases" / str(n - 1)),
            "db_name": str(root / "shared/db" / f"{n - 1}.sqlite3"),
            "version": str(n - 1),
        }
        new = {
            "release": str(root / "releases" / str(n)),
            "db_name": str(root / "shared/db" / f"{n}.sqlite3"),
            "version": str(n),
        }
        report = {
            "run_id": f"r{n}",
            "outcome": "upgraded",
            "release_from": old["release"],
            "database_from": old["db_name"],
            "release_to": new["release"],
            "database_to": new["db_name"],
            "snapshot": str(root / "snapshots" / f"r{n}"),
        }
        (root / "reports" / f"r{n}.json").write_text(json.dumps(report))
        os.utime(root / "reports" / f"r{n}.json", (n, n))
        append_record(
            journal,
            {
                "time": "t",
                "run_id": f"r{n}",
                "step": "finish",
                "status": "done",
                "data": {"outcome": "upgraded", "before": old, "live": new},
            },
        )
    return journal


def test_old_ones_go_the_live_and_the_target_stay(tmp_path):
    make_site(tmp_path, upgrades=4)  # releases 1..5, 5 live
    os.symlink(tmp_path / "releases" / "5", tmp_path / "current")
    (tmp_path / "shared" / "site.env").write_text(f"DB={tmp_path}/shared/db/5.sqlite3\n")
    args = {"root": str(tmp_path), "db_name_var": "DB", "db_vendor": "sqlite", "keep": 2}

    checked = run_module(cleanup, args, check_mode=True)
    assert not checked.failed, checked
    assert [os.path.basename(p) for p in checked["removed"]["releases"]] == ["1", "2", "3"]
    assert (tmp_path / "releases" / "1").exists()  # check mode removed nothing

    result = run_module(cleanup, args)
    assert result["changed"] and result["drop_databases"] == []
    assert sorted(os.listdir(tmp_path / "releases")) == ["4", "5"]
    assert sorted(os.listdir(tmp_path / "shared" / "db")) == ["4.sqlite3", "5.sqlite3"]
    assert sorted(os.listdir(tmp_path / "snapshots")) == [
        "r4",
        "r4-lost-values.jsonl",
        "r5",
        "r5-lost-values.jsonl",
    ]
    assert run_module(cleanup, args)["changed"] is False


def test_after_a_rollback_the_live_old_release_stays(tmp_path):
    journal = make_site(tmp_path, upgrades=4)
    live = {
        "release": str(tmp_path / "releases" / "1"),
        "db_name": f"{tmp_path}/shared/db/1.sqlite3",
        "version": "1",
    }
    # back to 1 by hand-given rollback: the history's live state is 1
    append_record(
        journal,
        {
            "time": "t",
            "run_id": "rb",
            "step": "finish",
            "status": "done",
            "data": {"outcome": "rolled back", "before": None, "live": live},
        },
    )
    os.symlink(tmp_path / "releases" / "1", tmp_path / "current")
    (tmp_path / "shared" / "site.env").write_text(f"DB={live['db_name']}\n")
    result = run_module(
        cleanup, {"root": str(tmp_path), "db_name_var": "DB", "db_vendor": "sqlite", "keep": 1}
    )
    assert not result.failed, result
    assert sorted(os.listdir(tmp_path / "releases")) == ["1", "5"]
    assert "1.sqlite3" in os.listdir(tmp_path / "shared" / "db")


def test_server_databases_are_returned_for_the_engine(tmp_path):
    make_site(tmp_path, upgrades=3)
    os.symlink(tmp_path / "releases" / "4", tmp_path / "current")
    (tmp_path / "shared" / "site.env").write_text(f"DB={tmp_path}/shared/db/4.sqlite3\n")
    result = run_module(
        cleanup,
        {"root": str(tmp_path), "db_name_var": "DB", "db_vendor": "postgresql", "keep": 2},
        check_mode=True,
    )
    assert result["drop_databases"] == [
        f"{tmp_path}/shared/db/1.sqlite3",
        f"{tmp_path}/shared/db/2.sqlite3",
    ]
    assert result["removed"]["databases"] == []
