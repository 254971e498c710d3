"""trust_unsigned in the modules that read snapshots (restore, diff, snapshot_info): an
unsigned snapshot (one written before datamig signed) is refused without it; with it, it is
accepted and reported (signed false, a warning); a signed one is reported signed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ...helpers import PYTHON, run_module, site_args

from ansible_collections.datamig.site.plugins.modules import diff, restore, snapshot_info  # isort: skip
from tests.engine.helpers import Database  # isort: skip


@pytest.fixture
def unsigned(source_snapshot: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "unsigned"
    shutil.copytree(source_snapshot, copy)
    (copy / "manifest.sig").unlink()
    return copy


def _calls(source: Database, src: Path, tmp_path: Path):
    target = tmp_path / f"restored-{src.name}.sqlite3"
    return [
        (snapshot_info, {"python": PYTHON, "src": str(src)}),
        (diff, site_args(source, src=str(src))),
        (restore, site_args(source, src=str(src), database_name=str(target))),
    ]


def test_an_unsigned_snapshot_is_refused_without_trust_unsigned(
    source: Database, unsigned: Path, tmp_path: Path
):
    for module, args in _calls(source, unsigned, tmp_path):
        result = run_module(module, args)
        assert result.failed and result["kind"] == "snapshot_invalid", (module, result)
        assert "trust-unsigned" in result["msg"] or "unsigned" in result["msg"].lower(), result
    assert not list(tmp_path.glob("restored-*"))  # nothing restored


def test_with_trust_unsigned_it_is_accepted_and_reported(
    source: Database, unsigned: Path, tmp_path: Path
):
    for module, args in _calls(source, unsigned, tmp_path):
        result = run_module(module, {**args, "trust_unsigned": True})
        assert not result.failed, (module, result)
        assert result["signed"] is False and result["trust_unsigned"] is True, module
        assert any("UNSIGNED snapshot" in w for w in result.warnings), (module, result.warnings)
    # restore in check mode too
    _module, args = _calls(source, unsigned, tmp_path)[2]
    checked = run_module(restore, {**args, "trust_unsigned": True}, check_mode=True)
    assert not checked.failed and checked["signed"] is False, checked


def test_a_signed_snapshot_is_reported_signed_with_or_without_trust_unsigned(
    source: Database, source_snapshot: Path, tmp_path: Path
):
    for trust in (False, True):
        for module, args in _calls(source, source_snapshot, tmp_path):
            if module is restore:
                args = {**args, "database_name": str(tmp_path / f"signed-{trust}.sqlite3")}
            result = run_module(module, {**args, "trust_unsigned": trust})
            assert not result.failed, (module, result)
            assert result["signed"] is True and result["trust_unsigned"] is trust, module
            assert not any("UNSIGNED" in w for w in result.warnings), result.warnings
