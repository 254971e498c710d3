# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The operator's hooks: work of their own before and after each step of an upgrade
(ansistrano's ``before_*``/``after_*`` pattern), in two kinds because the steps run in
two places.

- The steps the controller runs (``CONTROLLER_STEPS``) take task files:
  ``datamig_hooks_dir`` (on the controller) holds ``before_<step>.yml`` and
  ``after_<step>.yml``; a step includes the ones that exist, inside its journal record, so
  a failing hook fails the step (and the run rolls back).
- The steps of the window run on the node, as one program that must end by itself when
  the controller is lost: no task file can run there. Their hooks are commands
  (``datamig_window_hooks``: ``before_<step>``/``after_<step>`` to a list of commands),
  run by the window on the node within its deadline; a failing command fails its step
  and the window rolls back.

Which hooks exist, and that each names a real step, is decided once per run, here: a hook
that would silently never run is an error.
"""

import os

from ansible_collections.datamig.site.plugins.module_utils import window_plan

CONTROLLER_STEPS = ("preflight", "release", "prepare", "window", "cleanup")

# the window's steps, run on the node
WINDOW_STEPS = window_plan.STEPS

WHENS = ("before", "after")


def _split(stem):
    """("before", "release") of "before_release"; None when it is not a hook's name."""
    for when in WHENS:
        if stem.startswith(when + "_"):
            return when, stem[len(when) + 1 :]
    return None


def hook_files(hooks_dir, base_dir=""):
    """{"before_<step>": path, "after_<step>": path} of the hook files that exist.

    hooks_dir: the operator's folder ("" - no hooks); a relative one is taken from
    base_dir (the playbook's folder). A hook file for no step, or for a step of the window
    (which runs on the node, without task files), is an error."""
    if not hooks_dir:
        return {}
    folder = hooks_dir if os.path.isabs(hooks_dir) else os.path.join(base_dir, hooks_dir)
    if not os.path.isdir(folder):
        raise ValueError(f"datamig_hooks_dir {folder} is not a folder")
    found = {}
    for name in sorted(os.listdir(folder)):
        stem, ext = os.path.splitext(name)
        parts = _split(stem)
        if ext not in (".yml", ".yaml") or parts is None:
            continue
        path = os.path.join(folder, name)
        step = parts[1]
        if step in WINDOW_STEPS:
            raise ValueError(
                f"hook {path}: {step!r} runs on the node inside the window, where no task "
                f"file can run; give it as commands in datamig_window_hooks ({stem})"
            )
        if step not in CONTROLLER_STEPS:
            raise ValueError(
                f"hook {path}: no step {step!r} (steps: {', '.join(CONTROLLER_STEPS)})"
            )
        if stem in found:
            raise ValueError(f"hook {stem} given twice in {folder} (.yml and .yaml)")
        found[stem] = path
    return found


def window_hooks(spec):
    """The window's hook commands, checked: {"before_<step>": [argv, ...]}.

    spec: ``datamig_window_hooks`` - hook point to a list of commands, each an argv list,
    or a string run by ``/bin/sh -c``. Unknown hook points, empty commands and anything
    but strings are errors."""
    if not spec:
        return {}
    if not isinstance(spec, dict):
        raise ValueError(f"datamig_window_hooks must be a mapping, not {type(spec).__name__}")
    checked = {}
    for point in sorted(spec):
        parts = _split(str(point))
        if parts is None or parts[1] not in WINDOW_STEPS:
            points = ", ".join(f"{w}_{s}" for s in WINDOW_STEPS for w in WHENS)
            raise ValueError(f"datamig_window_hooks: no hook point {point!r} (points: {points})")
        commands = spec[point]
        if isinstance(commands, (str, bytes)) or not isinstance(commands, (list, tuple)):
            commands = [commands]
        argvs = []
        for command in commands:
            if isinstance(command, str):
                argv = ["/bin/sh", "-c", command] if command.strip() else []
            elif isinstance(command, (list, tuple)) and all(isinstance(a, str) for a in command):
                argv = list(command)
            else:
                raise ValueError(
                    f"datamig_window_hooks.{point}: a command is a string or a list of "
                    f"strings, not {command!r}"
                )
            if not argv or not argv[0]:
                raise ValueError(f"datamig_window_hooks.{point}: an empty command")
            argvs.append(argv)
        checked[str(point)] = argvs
    return checked
