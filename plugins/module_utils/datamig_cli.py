# SPDX-License-Identifier: GPL-3.0-or-later
"""What the datamig modules share: run the engine's command line on the node, read its JSON.

The modules never import Django or the engine. Each runs one engine command with the
site's own interpreter and environment::

    <python> -m datamig <command> <arguments> --json

and turns the one JSON object the command prints into its result. The engine reports
an error as ``{"ok": false, "kind": ..., "error": ...}``; that becomes
``fail_json(msg=error, kind=kind)``. Besides the engine's kinds (``snapshot_invalid``,
``settings``, ``database_unreachable``, ``target_not_empty``, ``restore_failed``,
``snapshot_failed``, ``usage``) the modules have two of their own: ``engine`` (the
command did not run, or printed no JSON) and ``data_loss`` (restoring the snapshot
into the current code would lose data that no migrator covers and no ``allow_loss``
accepts).

Secrets: every value of the ``environment`` option is replaced by ``********``
wherever it would appear in a result or an error (the engine's messages, the command
line, its stderr), as Ansible does for ``no_log`` options.

``run_as``: the engine runs as the site's Unix user (module_utils/run_as.py), never as
root: it executes the snapshot's and the site's code.
"""

import json
import os
import shlex

from ansible_collections.datamig.site.plugins.module_utils import run_as

MASK = "********"

KIND_ENGINE = "engine"
KIND_DATA_LOSS = "data_loss"

# Keys of a module result that Ansible itself gives a meaning to.
_RESERVED = frozenset(
    ("changed", "failed", "msg", "diff", "invocation", "skipped", "exception", "deprecations")
)


def engine_argument_spec():
    """The options of every module: how to run the engine."""
    return dict(
        python=dict(type="path", required=True),
        environment=dict(type="dict", default={}, no_log=True),
        plain_environment=dict(type="dict", default={}),
        chdir=dict(type="path"),
        run_as=dict(type="str"),
    )


def django_argument_spec():
    """The options of the modules that set up the site's Django: which site, which database."""
    spec = engine_argument_spec()
    spec.update(
        settings=dict(type="str"),
        pythonpath=dict(type="list", elements="path", default=[]),
        database=dict(type="str", default="default"),
        database_name=dict(type="str"),
    )
    return spec


# What the engine says (a warning, in the restore report or on stderr) of an unsigned
# snapshot it accepted because of --trust-unsigned (datamig/seal.py, Sealed.note).
UNSIGNED_MARK = "UNSIGNED snapshot"


def sealed_argument_spec():
    """The option of the modules that read snapshots: accept an unsigned one."""
    return dict(trust_unsigned=dict(type="bool", default=False))


def seal_args(params):
    """``--trust-unsigned`` when the module's ``trust_unsigned`` is set."""
    return ["--trust-unsigned"] if params.get("trust_unsigned") else []


def seal_report(trust_unsigned, messages, signed=None):
    """``{trust_unsigned, signed}`` for a module result. ``signed``: what the engine said
    (``datamig verify``), else read from its ``messages`` (warnings, stderr): without
    trust_unsigned an unsigned snapshot is refused, so one the engine accepted is signed;
    with it, unsigned exactly when the engine said so."""
    if signed is None:
        signed = not (trust_unsigned and any(UNSIGNED_MARK in str(text) for text in messages or ()))
    return {"trust_unsigned": bool(trust_unsigned), "signed": bool(signed)}


def _strings(mapping):
    """Environment values as strings (YAML gives numbers and booleans too)."""
    return {str(key): str(value) for key, value in (mapping or {}).items() if value is not None}


def _json_object(text):
    """The JSON object a ``--json`` command printed: the whole output, else its last line."""
    text = (text or "").strip()
    if not text:
        return None
    candidates = [text] + [line for line in reversed(text.splitlines()) if line.startswith("{")]
    for candidate in candidates:
        try:
            data = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(data, dict):
            return data
    return None


class DatamigCLI:
    """The engine's command line as one module runs it."""

    def __init__(self, module):
        self.module = module
        params = module.params
        self.python = params["python"]
        self.chdir = params.get("chdir")
        self.stderr = ""  # of the last command run
        secret = _strings(params.get("environment"))
        self.environ = _strings(params.get("plain_environment"))
        self.environ.update(secret)
        # longest first, so that a secret containing another is hidden whole
        self.secrets = sorted({value for value in secret.values() if value}, key=len, reverse=True)
        self.run_as = params.get("run_as") or ""

    # --- paths and arguments --------------------------------------------------------------

    def path(self, value):
        """An absolute path; a relative one is taken from ``chdir`` (where the engine runs)."""
        if value is None:
            return None
        if self.chdir and not os.path.isabs(value):
            value = os.path.join(self.chdir, value)
        return os.path.abspath(value)

    def django_args(self):
        """``--settings``, ``--pythonpath``, ``--database``, ``--database-name`` from the options."""
        params = self.module.params
        args = []
        if params.get("settings"):
            args += ["--settings", params["settings"]]
        for folder in params.get("pythonpath") or []:
            args += ["--pythonpath", self.path(folder)]
        args += ["--database", params.get("database") or "default"]
        if params.get("database_name"):
            args += ["--database-name", params["database_name"]]
        return args

    @staticmethod
    def loss_args(allow_loss):
        args = []
        for item in allow_loss or []:
            args += ["--allow-loss", item]
        return args

    @staticmethod
    def set_args(values):
        """``{"app.Model.field": value}`` -> ``--set app.Model.field=value`` each, in name
        order; booleans as Python spells them (the field's to_python reads them)."""
        args = []
        for name in sorted(values or {}):
            value = values[name]
            text = "" if value is None else str(value)
            args += ["--set", f"{name}={text}"]
        return args

    def command(self, name, *args):
        return [self.python, "-m", "datamig", name, *args, "--json"]

    # --- running --------------------------------------------------------------------------

    def run(self, name, *args, **options):
        """Run ``datamig <name> <args> --json``; return its JSON object, secrets hidden.

        An engine error fails the module, unless its kind is in ``accept`` (then the
        error object is returned like a result).
        """
        accept = options.get("accept", ())
        command = self.command(name, *args)
        if not (os.path.isfile(self.python) and os.access(self.python, os.X_OK)):
            self.fail(
                f"python {self.python} is not an executable file: name the interpreter of the "
                "site's virtualenv, where datamig is installed",
                KIND_ENGINE,
                cmd=command,
            )
        try:
            argv, as_user_env = run_as.command(command, self.run_as)
        except run_as.RunAsError as exc:
            self.fail(str(exc), KIND_ENGINE, cmd=command)
        rc, stdout, stderr = self.module.run_command(
            argv,
            cwd=self.chdir,
            environ_update=dict(self.environ, **as_user_env),
            check_rc=False,
            expand_user_and_vars=False,
        )
        self.stderr = self.hide(stderr or "")
        data = _json_object(stdout)
        if data is None:
            last = (stderr or "").strip().splitlines()
            self.fail(
                f"datamig {name} printed no JSON result (exit status {rc})"
                + (f": {last[-1]}" if last else ""),
                KIND_ENGINE,
                rc=rc,
                cmd=command,
                stderr=(stderr or "")[-4000:],
            )
        if data.get("ok") is False and data.get("kind") and data["kind"] not in accept:
            details = {
                key: value for key, value in data.items() if key not in ("ok", "kind", "error")
            }
            self.fail(
                data.get("error") or f"datamig {name} failed",
                data["kind"],
                rc=rc,
                cmd=command,
                **details,
            )
        return self.hide(data)

    def fail(self, msg, kind, **details):
        """Fail the module with ``msg`` and ``kind``; secrets hidden everywhere."""
        if isinstance(details.get("cmd"), list):
            details["cmd"] = " ".join(shlex.quote(part) for part in details["cmd"])
        result = self.result(details)
        result.update(msg=self.hide(msg), kind=kind)
        self.module.fail_json(**result)

    def result(self, data, drop=()):
        """An engine JSON object made a module result: secrets hidden, the engine's warnings
        given to Ansible as warnings, keys that Ansible reserves prefixed ``engine_``."""
        data = self.hide(dict(data))
        for warning in data.pop("warnings", None) or []:
            self.module.warn(warning)
        result = {}
        for key, value in data.items():
            if key in drop:
                continue
            result["engine_" + key if key in _RESERVED else key] = value
        return result

    def hide(self, value):
        """``value`` with every secret replaced by ``********`` (strings, lists, dicts)."""
        if not self.secrets:
            return value
        if isinstance(value, str):
            for secret in self.secrets:
                value = value.replace(secret, MASK)
            return value
        if isinstance(value, dict):
            return {self.hide(key): self.hide(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.hide(item) for item in value]
        return value
