"""Check that each role's meta/argument_specs.yml and defaults/main.yml name the same
variables, and that the product's defaults do not carry the demo's names.

Each role's defaults give its variables from the operator's ``datamig_*`` inventory
variables (``upgrade_lock_stale_after: "{{ datamig_lock_stale_after | default(0) }}"``),
and its argument specs document those operator variables. So, per role:

- every default is documented in the role's specs, under its own name or the name of the
  ``datamig_*`` variable it reads; every option of the specs' entry point ``main`` is set
  or read by a default, required (``required: true``), or read by another role's defaults
  (one the role runs and hands it on to) - nothing documented that does nothing, nothing
  configurable that is not documented;
- no default (nor a spec's documented default) is a name of the demo site
  (``demo_site.*``, ``DEMO_*``): the demo's values live in ``examples/demo/``.

Usage: python tools/check_role_specs.py [ROLES_DIR]   (default: roles/ of this checkout)
Exit 0 when every role passes, 1 with one line per problem otherwise.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

OPERATOR_VARIABLE = re.compile(r"\b(datamig_[a-z0-9_]+)\b")
DEMO_NAME = re.compile(r"demo_site\b|\bDEMO_[A-Z_]+|\bdemo_[a-z_]+\.(settings|wsgi)\b")


def _load(path: Path) -> dict:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def _role_files(role: Path) -> tuple[dict, dict]:
    """(argument specs by entry point, defaults) of a role."""
    specs_path = role / "meta" / "argument_specs.yml"
    defaults_path = role / "defaults" / "main.yml"
    specs = (_load(specs_path).get("argument_specs") or {}) if specs_path.exists() else {}
    defaults = _load(defaults_path) if defaults_path.exists() else {}
    return specs, defaults


def _reads(defaults: dict) -> dict[str, str]:
    """{operator variable: the default that reads it}."""
    read: dict[str, str] = {}
    for name, value in defaults.items():
        for variable in OPERATOR_VARIABLE.findall(str(value)):
            read.setdefault(variable, name)
    return read


def check_role(role: Path, read_elsewhere: set[str]) -> list[str]:
    """The problems of one role (empty: it passes). read_elsewhere: the operator variables
    other roles' defaults read (a role may document what it hands on to the roles it runs)."""
    specs, defaults = _role_files(role)
    if not specs:
        return [f"{role.name}: no meta/argument_specs.yml"]
    options = (specs.get("main") or {}).get("options") or {}
    documented = {name for entry in specs.values() for name in (entry.get("options") or {})}
    problems = []
    read = _reads(defaults)
    for name, value in defaults.items():
        if DEMO_NAME.search(str(value)):
            problems.append(
                f"{role.name}: default {name} is the demo's ({value!r}): set it in examples/demo/"
            )
        variables = OPERATOR_VARIABLE.findall(str(value))
        if name not in documented and not any(v in documented for v in variables):
            problems.append(
                f"{role.name}: defaults/main.yml sets {name}"
                + (f" (from {', '.join(variables)})" if variables else "")
                + ", which meta/argument_specs.yml does not document"
            )
    for name, option in sorted(options.items()):
        if name in defaults or name in read or option.get("required") or name in read_elsewhere:
            continue
        problems.append(
            f"{role.name}: meta/argument_specs.yml documents {name}, which defaults/main.yml neither sets nor reads"
        )
    for name, option in sorted(options.items()):
        if DEMO_NAME.search(str(option.get("default", ""))):
            problems.append(
                f"{role.name}: {name}'s documented default is the demo's ({option['default']!r})"
            )
    return problems


def check(roles_dir: Path) -> list[str]:
    roles = sorted(p for p in roles_dir.iterdir() if (p / "tasks").is_dir())
    reads = {role.name: set(_reads(_role_files(role)[1])) for role in roles}
    problems = []
    for role in roles:
        elsewhere = set().union(*(v for k, v in reads.items() if k != role.name))
        problems += check_role(role, elsewhere)
    return problems


def main(argv: list[str]) -> int:
    roles_dir = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[1] / "roles"
    problems = check(roles_dir)
    for problem in problems:
        print(f"check_role_specs: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
