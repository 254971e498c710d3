"""Errors with a stable ``kind``, so that callers (the Ansible modules) can tell them apart."""

from __future__ import annotations


class DatamigError(Exception):
    """An error that is reported to the user as one clear line, without a traceback."""

    kind = "error"
    exit_code = 1


class SnapshotInvalid(DatamigError):
    """The snapshot's files do not match its manifest, or the manifest is unusable."""

    kind = "snapshot_invalid"


class SettingsError(DatamigError):
    """The Django settings module cannot be imported or configured."""

    kind = "settings"


class DatabaseUnreachable(DatamigError):
    """The database server or file cannot be reached."""

    kind = "database_unreachable"


class TargetNotEmpty(DatamigError):
    """The target database holds data and ``--flush`` was not given."""

    kind = "target_not_empty"


class NotPrepared(DatamigError):
    """``--prepared``: the target is not exactly a database the current code prepared
    (missing, migrated otherwise, or holding data)."""

    kind = "not_prepared"


class RestoreFailed(DatamigError):
    """Rows could not be loaded; the target was left as it was before."""

    kind = "restore_failed"


class SnapshotFailed(DatamigError):
    """A snapshot could not be written; nothing was left behind."""

    kind = "snapshot_failed"


class UsageError(DatamigError):
    """The command line is wrong."""

    kind = "usage"
    exit_code = 2
