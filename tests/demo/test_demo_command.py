"""The README's main command, as a user runs it: ``tools/demo`` (the demo site at version 1
upgraded to version 2 by playbooks/upgrade.yml) and ``tools/demo --broken`` (an upgrade to a
broken version 2, rolled back), then ``tools/demo stop``.

Both run at once, each in a demo folder of its own under .work/ (DEMO_WORK) on free
loopback ports (DEMO_HTTP_PORT, DEMO_APP_PORT), so that neither this test nor a second run
of it disturbs a demo someone left running in .work/demo. 2,000 rows of demo data
(DEMO_ROWS) keep it short; v1's demo_fill makes 4 duplicate copies at that size.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "tools" / "demo"


def _free_ports(n: int) -> list[int]:
    """n distinct free loopback ports (all bound at once, so none repeats)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(n)]
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]


def _get(port: int, path: str = "/") -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


class Demo:
    """One tools/demo run in a folder of its own."""

    def __init__(self, name: str, ports: list[int], *args: str) -> None:
        self.work = ROOT / ".work" / f"demo-test-{os.getpid()}-{name}"
        self.http_port, self.app_port = ports
        self.env = {
            **os.environ,
            "DEMO_WORK": str(self.work),
            "DEMO_HTTP_PORT": str(self.http_port),
            "DEMO_APP_PORT": str(self.app_port),
            "DEMO_ROWS": "2000",
        }
        self.args = args
        self.log = ROOT / ".work" / f"demo-test-{os.getpid()}-{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [str(DEMO), *self.args],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    def wait(self, timeout: float) -> tuple[int, str]:
        assert self.process is not None
        rc = self.process.wait(timeout=timeout)
        return rc, self.log.read_text(errors="replace")

    def report(self) -> dict:
        (path,) = (self.work / "site" / "reports").glob("*.json")
        return json.loads(path.read_text())

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        subprocess.run([str(DEMO), "stop"], env=self.env, cwd=ROOT, check=False, timeout=120)
        shutil.rmtree(self.work, ignore_errors=True)
        self.log.unlink(missing_ok=True)


@pytest.fixture
def demos():
    made: list[Demo] = []
    yield made
    for demo in made:
        demo.stop()


def test_demo_upgrades_and_the_broken_upgrade_rolls_back(demos):
    ports = _free_ports(4)
    upgrade, broken = Demo("upgrade", ports[:2]), Demo("broken", ports[2:], "--broken")
    demos += [upgrade, broken]
    upgrade.start()
    time.sleep(5)  # the two bootstraps take turns anyway; let the first one lead
    broken.start()
    rc, out = upgrade.wait(timeout=780)
    assert rc == 0, out[-8000:]
    rc_broken, out_broken = broken.wait(timeout=780)
    assert rc_broken == 0, out_broken[-8000:]

    # tools/demo: version 1, then version 2 through the upgrade playbook, with its report.
    assert "datamig-demo version 1" in out
    assert "ansible-playbook playbooks/upgrade.yml -l demo -e @examples/demo/v2.yml" in out
    assert "UPGRADED" in out and "downtime" in out and "contacts.Person" in out
    assert "demo: the site is as expected (upgraded)" in out
    assert "holds what the upgrade's snapshot restored by datamig alone" in out
    report = upgrade.report()
    assert report["outcome"] == "upgraded"
    assert (report["version_from"], report["version_to"]) == ("1", "2")
    assert report["downtime_seconds"] > 0
    for step in ("preflight", "release", "maintenance_on", "snapshot", "restore", "verify"):
        assert report["steps"][step]["status"] == "done", step
    person = report["models"]["contacts.Person"]
    assert person["read"] == person["expected"] > 0
    assert report["models"]["library.Copy"]["ignored"] == 4  # duplicate barcodes at 2,000 rows
    assert _get(upgrade.http_port) == (200, "datamig-demo version 2")  # left running

    # tools/demo --broken: the run fails naming the step, version 1 answers, data intact.
    assert "upgrade of demo to 2 failed at step health" in out_broken
    assert "demo: every table as before" in out_broken
    assert "demo: the site is as expected (rolled back)" in out_broken
    report = broken.report()
    assert (report["outcome"], report["failed_step"]) == ("rolled back", "health")
    before, after = (
        json.loads((broken.work / f"checksums-{when}.json").read_text())["tables"]
        for when in ("before", "after")
    )
    assert before == after and len(before) > 20
    assert _get(broken.http_port) == (200, "datamig-demo version 1")
    assert not (broken.work / "site" / "maintenance" / "maintenance.json").exists()
    assert not (broken.work / "site" / "datamig.lock").exists()

    # tools/demo stop: nothing answers any more.
    subprocess.run([str(DEMO), "stop"], env=upgrade.env, cwd=ROOT, check=True, timeout=120)
    with pytest.raises(OSError):
        _get(upgrade.http_port)
