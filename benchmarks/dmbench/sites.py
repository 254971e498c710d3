"""The Django sites a benchmark can run on, and how to drive them as child processes.

Every Django command runs as ``python -m django <command> --settings ... --pythonpath
...`` (what ``manage.py`` does) and every engine command as ``python -m datamig``, with
the database picked through the site's environment variables, so the benchmark itself
never imports Django.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
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

    def env(self, vendor: str, database: str) -> dict[str, str]:
        """The environment that points the site's settings at one database."""
        env = dict(os.environ)
        env.update(
            {
                f"{self.env_prefix}VENDOR": vendor,
                f"{self.env_prefix}NAME": database,
                "DJANGO_SETTINGS_MODULE": self.settings,
                "PYTHONPATH": str(self.pythonpath),
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
