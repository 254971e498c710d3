"""The Django sites a benchmark can run on, and how to drive them as child processes.

Every Django command runs as ``python -m django <command> --settings ... --pythonpath
...`` (what ``manage.py`` does) and every engine command as ``python -m datamig``, with
the database picked through the site's environment variables, so the benchmark itself
never imports Django.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_TESTSITE_FILL = (
    "import sys, django; django.setup(); from exact.fill import fill; "
    "fill(int(sys.argv[1]), seed=int(sys.argv[2]))"
)


@dataclass(frozen=True)
class Site:
    name: str
    settings: str
    pythonpath: Path
    env_prefix: str
    engine_path: Path | None = None  # put before the installed datamig (see frozen_code)

    def relocated(self, root: Path) -> Site:
        """The same site in a copy of the repository at ``root`` (engine included)."""
        return replace(
            self, pythonpath=root / self.pythonpath.relative_to(ROOT), engine_path=root / "engine"
        )

    def env(self, vendor: str, database: str) -> dict[str, str]:
        """The environment that points the site's settings at one database."""
        env = dict(os.environ)
        env.update(
            {
                f"{self.env_prefix}VENDOR": vendor,
                f"{self.env_prefix}NAME": database,
                "DJANGO_SETTINGS_MODULE": self.settings,
                "PYTHONPATH": os.pathsep.join(
                    str(p) for p in (self.pythonpath, self.engine_path) if p is not None
                ),
                "PYTHONHASHSEED": "0",
            }
        )
        return env

    def django(self, *args: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "django",
            *args,
            "--settings",
            self.settings,
            "--pythonpath",
            str(self.pythonpath),
        ]

    def datamig(self, *args: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "datamig",
            *args,
            "--settings",
            self.settings,
            "--pythonpath",
            str(self.pythonpath),
        ]

    def fill(self, rows: int, seed: int) -> list[str]:
        """The command that fills a migrated, empty database with about ``rows`` rows."""
        if self.name == "testsite":
            return [sys.executable, "-c", _TESTSITE_FILL, str(rows), str(seed)]
        return self.django("demo_fill", "--rows", str(rows), "--seed", str(seed))

    def ready(self) -> str:
        """Empty when the site can be used, else why not."""
        if self.name == "demo":
            commands = self.pythonpath.glob("*/management/commands/demo_fill.py")
            if not any(commands):
                return f"no demo_fill command under {self.pythonpath} yet"
        return ""


SITES = {
    "demo": Site("demo", "demo_site.settings", ROOT / "examples" / "demo" / "v1", "DEMO_DB_"),
    "testsite": Site(
        "testsite", "testsite.settings", ROOT / "tests" / "engine" / "site", "TESTSITE_DB_"
    ),
}


FROZEN_PATHS = ("engine", "examples/demo", "tests/engine/site")


def frozen_code(commit: str, folder: Path) -> str:
    """Copy the engine and the sites as committed at ``commit`` into ``folder``.

    Other people edit the working tree while a long run goes on; measuring a copy of
    one commit keeps the run to one version of the engine, and says which (the full
    hash is returned and recorded in the results).
    """
    full = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", commit], capture_output=True, text=True, check=True
    ).stdout.strip()
    folder.mkdir(parents=True)
    archive = subprocess.Popen(
        ["git", "-C", str(ROOT), "archive", full, *FROZEN_PATHS], stdout=subprocess.PIPE
    )
    subprocess.run(["tar", "-x", "-C", str(folder)], stdin=archive.stdout, check=True)
    assert archive.stdout is not None
    archive.stdout.close()
    if archive.wait() != 0:
        raise RuntimeError(f"git archive {full} failed")
    return full
