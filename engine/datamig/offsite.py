"""Off-site copies of snapshots, checksum-verified at the far end.

Far-end layout, under the configured ``path``::

    <path>/<site>/<name>/              a copy the far end verified (nothing else has this name)
    <path>/<site>/.partial-<name>/     a copy in progress (resumable)
    <path>/<site>/.replaced-<name>/    a changed copy being swapped out (removed right after)

push: the local snapshot is verified against its manifest; every file is sent into the
partial folder, resuming a shorter far-end file from its size (a longer one is sent
again); then ``sha256sum`` runs at the far end and every file is compared with the
manifest (``manifest.json`` itself with the local one's SHA-256); a mismatching file is
sent again from 0 and checked again (at most ``SEND_ROUNDS`` times). Only then is the
partial folder renamed to ``<name>``. A copy that exists already is checked the same
way; files changed at the far end are reported and the copy is redone in a partial
folder (a far-end copy of the old one, the changed files sent again), verified and
swapped in.

prune keeps, among the far-end copies whose names are snapshot times
(``%Y%m%dT%H%M%SZ``), what the retention policy keeps (the newest is always kept);
copies with other names are left alone. A ``.partial-<name>`` whose time is older than
the oldest copy kept can never become a kept copy (it would be pruned right after it
completed): it is removed, newer partial folders are left for a later push to resume.
Leftover ``.replaced-*`` folders are removed.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .keys import KeyStore
from .offsite_config import OffsiteConfig
from .offsite_crypt import (
    INDEX_NAME,
    INDEX_SIGNATURE,
    MAX_INDEX_BYTES,
    decrypt_into,
    parse_index,
    stage,
)
from .retention import Policy, parse_snapshot_name, select_kept, timed_names
from .runtime.errors import SnapshotInvalid, UsageError
from .runtime.manifest import MANIFEST_NAME, sha256_of, verify_files
from .seal import (
    MAX_MANIFEST_BYTES,
    MAX_SIGNATURE_BYTES,
    SIGNATURE_NAME,
    check_snapshot,
    parse_manifest,
    verify_signature,
)
from .sshlink import OffsiteError, SSHLink

SEND_ROUNDS = 3
PARTIAL = ".partial-"
REPLACED = ".replaced-"
FETCHING = ".fetch-"

Say = Callable[[str], None]


def _quiet(_message: str) -> None:
    pass


def _safe_name(name: str) -> bool:
    parts = name.split("/")
    return bool(name) and not name.startswith("/") and not {"", ".", ".."} & set(parts)


def _check_folder_name(name: str, what: str) -> None:
    if not name or "/" in name or name.startswith(".") or "\0" in name:
        raise OffsiteError(f"{what} {name!r} is not a plain folder name")


@dataclass
class Transfer:
    """Bytes moved by one push or fetch."""

    total: int = 0
    sent: int = 0  # bytes moved this time
    # per file, the bytes already in place that were not moved again (a file sent again
    # after a failed check counts 0: what was in place was wrong)
    kept_in_place: dict[str, int] = field(default_factory=dict)
    files_sent: int = 0
    resent: list[str] = field(default_factory=list)  # sent again after a failed check

    @property
    def resumed(self) -> int:
        return sum(self.kept_in_place.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "bytes_total": self.total,
            "bytes_sent": self.sent,
            "bytes_resumed": self.resumed,
            "files_sent": self.files_sent,
            "resent": sorted(set(self.resent)),
        }


class Offsite:
    """Operations on one off-site target; ``with Offsite(config) as offsite:``."""

    def __init__(
        self,
        config: OffsiteConfig,
        say: Say = _quiet,
        keys: KeyStore | None = None,
        trust_unsigned: bool = False,
    ) -> None:
        self.config = config
        self.say = say
        self.link = SSHLink(config)
        self.keys = keys or KeyStore.from_option(None)
        self.trust_unsigned = trust_unsigned

    def __enter__(self) -> Offsite:
        self.link.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.link.close()

    def _guard(self, what: str, action: Callable[[], Any]) -> Any:
        """Run action; a lost connection or a far-end error becomes one clear OffsiteError."""
        try:
            return action()
        except OffsiteError:
            raise
        except (OSError, EOFError) as exc:
            raise OffsiteError(f"{what}: {type(exc).__name__}: {exc}") from None
        except Exception as exc:  # paramiko.SSHException and friends
            if type(exc).__module__.startswith("paramiko"):
                raise OffsiteError(f"{what}: {type(exc).__name__}: {exc}") from None
            raise

    # places -------------------------------------------------------------------------

    def site_dir(self, site: str | None) -> str:
        site = site or self.config.site
        if not site:
            raise UsageError(
                "no site: set 'site' in the off-site config or pass --site "
                "(push takes it from the snapshot's manifest)"
            )
        _check_folder_name(site, "site")
        return posixpath.join(self.config.path, site)

    # list ---------------------------------------------------------------------------

    def list(self, site: str | None = None) -> dict[str, Any]:
        """The far-end copies (verified: the only ones with plain names) and partials."""
        folder = self.site_dir(site)
        entries = self._guard(f"listing {folder}", lambda: self.link.listdir(folder))
        names = sorted(n for n, is_dir, _m in entries if is_dir and not n.startswith("."))
        partial = sorted(
            n[len(PARTIAL) :] for n, is_dir, _m in entries if is_dir and n.startswith(PARTIAL)
        )
        return {"ok": True, "folder": folder, "snapshots": names, "partial": partial}

    # push ---------------------------------------------------------------------------

    def push(self, snapshot_dir: str, site: str | None = None) -> dict[str, Any]:
        """Copy a local snapshot off-site; returns only after the far end verified it."""
        snapshot_dir = os.path.abspath(snapshot_dir)
        manifest = check_snapshot(
            snapshot_dir, self.keys, trust_unsigned=self.trust_unsigned
        ).manifest
        name = os.path.basename(snapshot_dir)
        _check_folder_name(name, "snapshot name")
        folder = self.site_dir(site or self.config.site or manifest.get("site"))
        final = posixpath.join(folder, name)
        partial = posixpath.join(folder, PARTIAL + name)
        expected = {n: (e["size"], e["sha256"]) for n, e in manifest["files"].items()}
        local_manifest = os.path.join(snapshot_dir, MANIFEST_NAME)
        expected[MANIFEST_NAME] = (os.path.getsize(local_manifest), sha256_of(local_manifest))
        local_signature = os.path.join(snapshot_dir, SIGNATURE_NAME)
        if os.path.isfile(local_signature):
            expected[SIGNATURE_NAME] = (
                os.path.getsize(local_signature),
                sha256_of(local_signature),
            )
        for file_name in expected:
            if not _safe_name(file_name):
                raise OffsiteError(f"{snapshot_dir}: unsafe file name in manifest: {file_name}")
        result: dict[str, Any] = {
            "ok": False,
            "name": name,
            "local": snapshot_dir,
            "remote": final,
            "already_offsite": False,
            "changed_far_end": [],
        }
        if self.config.recipients:
            return self._push_encrypted(snapshot_dir, manifest, folder, result)
        transfer = Transfer(total=sum(size for size, _sha in expected.values()))

        def work() -> None:
            self.link.makedirs(folder)
            if self.link.is_dir(final):
                bad = self._mismatches(final, expected)
                if not bad:
                    self.say(f"{name}: already off-site, verified at the far end")
                    result["already_offsite"] = True
                    return
                for file_name in bad:
                    self.say(f"{name}: changed at the far end: {file_name}")
                result["changed_far_end"] = bad
                if not self.link.is_dir(partial):
                    self.link.copy_tree(final, partial)
                for file_name in bad:  # sent again from 0
                    path = posixpath.join(partial, file_name)
                    if self.link.size(path) is not None:
                        self.link.sftp.remove(path)
            self._send_and_verify(snapshot_dir, partial, expected, transfer)
            self._swap_in(folder, name)

        self._guard(f"pushing {name} to {self.config.describe()}", work)
        result.update(ok=True, verified=True, **transfer.as_dict())
        return result

    def _swap_in(self, folder: str, name: str) -> None:
        """The verified partial copy becomes ``<name>`` (replacing an older one)."""
        final = posixpath.join(folder, name)
        partial = posixpath.join(folder, PARTIAL + name)
        if self.link.is_dir(final):
            replaced = posixpath.join(folder, REPLACED + name)
            self.link.remove_tree(replaced)
            self.link.rename(final, replaced)
            self.link.rename(partial, final)
            self.link.remove_tree(replaced)
        else:
            self.link.rename(partial, final)
        self.say(f"{name}: off-site copy verified at the far end: {final}")

    def _push_encrypted(
        self, snapshot_dir: str, manifest: dict[str, Any], folder: str, result: dict[str, Any]
    ) -> dict[str, Any]:
        """Encrypted for the config's recipients on this machine, then sent (offsite_crypt).
        Each encryption differs, so a copy is "already off-site" when the far end's
        signed index names this snapshot's manifest and its ciphertexts match the index;
        otherwise the whole copy is sent again."""
        name = os.path.basename(snapshot_dir)
        final = posixpath.join(folder, name)
        partial = posixpath.join(folder, PARTIAL + name)
        plain_manifest = sha256_of(os.path.join(snapshot_dir, MANIFEST_NAME))
        files = [*sorted(manifest["files"]), MANIFEST_NAME]
        if os.path.isfile(os.path.join(snapshot_dir, SIGNATURE_NAME)):
            files.append(SIGNATURE_NAME)
        transfer = Transfer()
        staged: list[str] = []

        def work() -> None:
            self.link.makedirs(folder)
            if self.link.is_dir(final):
                try:
                    index = self._remote_index(final)
                    same = index["manifest_sha256"] == plain_manifest
                    if same and not self._mismatches(final, _expected_of(index)):
                        self.say(f"{name}: already off-site (encrypted), verified at the far end")
                        result["already_offsite"] = True
                        return
                except OffsiteError as exc:
                    self.say(f"{name}: the far-end copy is not usable ({exc}): sent again")
                result["changed_far_end"] = ["*"]
            staged.append(stage(snapshot_dir, files, self.config.recipients, self.keys))
            expected = {}
            for root, _dirs, names in os.walk(staged[0]):
                for file_name in names:
                    path = os.path.join(root, file_name)
                    rel = os.path.relpath(path, staged[0]).replace(os.sep, "/")
                    expected[rel] = (os.path.getsize(path), sha256_of(path))
            transfer.total = sum(size for size, _sha in expected.values())
            self.link.remove_tree(partial)  # another encryption's ciphertext never matches
            self._send_and_verify(staged[0], partial, expected, transfer)
            self._swap_in(folder, name)

        try:
            self._guard(f"pushing {name} (encrypted) to {self.config.describe()}", work)
        finally:
            for path in staged:
                shutil.rmtree(path, ignore_errors=True)
        result.update(ok=True, verified=True, encrypted=True, **transfer.as_dict())
        return result

    def _remote_index(self, directory: str) -> dict[str, Any]:
        raw = self.link.read_bytes(posixpath.join(directory, INDEX_NAME), MAX_INDEX_BYTES)
        signature_path = posixpath.join(directory, INDEX_SIGNATURE)
        signature = None
        if self.link.size(signature_path) is not None:
            signature = self.link.read_bytes(signature_path, MAX_SIGNATURE_BYTES)
        return parse_index(raw, signature, self.keys, f"{self.config.describe()}:{directory}")

    def _is_encrypted(self, directory: str) -> bool:
        return self.link.size(posixpath.join(directory, INDEX_NAME)) is not None

    def _mismatches(self, directory: str, expected: dict[str, tuple[int, str]]) -> list[str]:
        sums = self.link.sha256(directory, sorted(expected))
        return sorted(n for n, (_size, sha) in expected.items() if sums.get(n) != sha)

    def _send_and_verify(
        self,
        snapshot_dir: str,
        partial: str,
        expected: dict[str, tuple[int, str]],
        transfer: Transfer,
    ) -> None:
        self.link.makedirs(partial)
        self.link.sftp.chmod(partial, 0o700)
        restart: set[str] = set()
        for attempt in range(1, SEND_ROUNDS + 1):
            # the first round sends what is missing, later rounds what the far end refused
            todo = restart or set(expected)
            # a far-end copy is complete when these are
            last = (MANIFEST_NAME, SIGNATURE_NAME, INDEX_NAME, INDEX_SIGNATURE)
            for file_name in sorted(todo, key=lambda n: (n in last, n)):
                self._send_file(snapshot_dir, partial, file_name, transfer, file_name in restart)
            bad = self._mismatches(partial, expected)
            if not bad:
                return
            self.say(
                f"far-end check found {len(bad)} file(s) differing (round {attempt}): "
                + ", ".join(bad[:5])
            )
            transfer.resent.extend(bad)
            restart = set(bad)
        raise OffsiteError(
            f"the far-end copy in {partial} still differs after {SEND_ROUNDS} rounds: "
            + ", ".join(bad[:5])
        )

    def _send_file(
        self, snapshot_dir: str, partial: str, file_name: str, transfer: Transfer, restart: bool
    ) -> None:
        local = os.path.join(snapshot_dir, *file_name.split("/"))
        remote = posixpath.join(partial, file_name)
        size = os.path.getsize(local)
        parent = posixpath.dirname(file_name)
        if parent:
            self.link.makedirs(posixpath.join(partial, parent))
        there = None if restart else self.link.size(remote)
        if there == size:
            transfer.kept_in_place[file_name] = size
            return
        offset = there if there is not None and there < size else 0
        if offset:
            self.say(f"{file_name}: resuming at byte {offset:,} of {size:,}")
        transfer.kept_in_place[file_name] = offset

        def sent(count: int) -> None:
            transfer.sent += count

        self.link.upload(local, remote, offset, size, sent)
        transfer.files_sent += 1

    # verify -------------------------------------------------------------------------

    def _remote_manifest(self, directory: str) -> tuple[dict[str, Any], bytes, bytes | None]:
        """The far end's manifest, its raw bytes and its signature's, the signature
        checked here with the local key folder (the far end holds no key): a copy that
        the far end rewrote, files and manifest both, is refused before any download."""
        raw = self.link.read_bytes(posixpath.join(directory, MANIFEST_NAME), MAX_MANIFEST_BYTES)
        signature_path = posixpath.join(directory, SIGNATURE_NAME)
        signature = None
        if self.link.size(signature_path) is not None:
            signature = self.link.read_bytes(signature_path, MAX_SIGNATURE_BYTES)
        where = f"{self.config.describe()}:{directory}"
        try:
            if signature is not None:
                verify_signature(where, raw, signature, self.keys)
            elif not self.trust_unsigned:
                raise SnapshotInvalid(
                    f"snapshot {where} refused: it is not signed (no {SIGNATURE_NAME}); pass "
                    "--trust-unsigned only if you know where it comes from"
                )
            manifest = parse_manifest(raw, f"{where}/{MANIFEST_NAME}")
        except SnapshotInvalid as exc:
            raise OffsiteError(str(exc)) from None
        return manifest, raw, signature

    def verify(
        self, name: str, site: str | None = None, local_dir: str | None = None
    ) -> dict[str, Any]:
        """Check a far-end copy at the far end against its manifest (and, with
        ``local_dir``, its manifest against the local snapshot's)."""
        _check_folder_name(name, "snapshot name")
        folder = posixpath.join(self.site_dir(site), name)

        def work() -> dict[str, Any]:
            if not self.link.is_dir(folder):
                raise OffsiteError(f"{name} is not off-site ({folder} does not exist)")
            if self._is_encrypted(folder):
                index = self._remote_index(folder)
                expected = {n: sha for n, (_size, sha) in _expected_of(index).items()}
                plain_manifest = index["manifest_sha256"]
            else:
                manifest, raw, _signature = self._remote_manifest(folder)
                expected = {n: e.get("sha256") for n, e in manifest["files"].items()}
                plain_manifest = hashlib.sha256(raw).hexdigest()
            sums = self.link.sha256(folder, sorted(expected))
            problems = [
                f"{n}: {'missing' if n not in sums else 'SHA-256 differs from the manifest'}"
                for n in sorted(expected)
                if sums.get(n) != expected[n]
            ]
            if local_dir is not None:
                local = sha256_of(os.path.join(local_dir, MANIFEST_NAME))
                if plain_manifest != local:
                    problems.insert(0, f"{MANIFEST_NAME}: differs from {local_dir}'s")
            return {
                "ok": not problems,
                "name": name,
                "remote": folder,
                "files_checked": len(expected) + 1,
                "problems": problems,
            }

        return self._guard(f"verifying {name} at {self.config.describe()}", work)

    # fetch --------------------------------------------------------------------------

    def fetch(self, name: str, local_dir: str, site: str | None = None) -> dict[str, Any]:
        """Download a far-end copy into ``local_dir`` (a new folder): its signature
        checked first, then into a fresh temporary folder beside it (``mkdtemp``: nothing
        planted there in advance is used), every file checked (signature, sizes,
        SHA-256, nothing else), then renamed."""
        _check_folder_name(name, "snapshot name")
        folder = posixpath.join(self.site_dir(site), name)
        final = os.path.abspath(local_dir)
        if os.path.exists(final) and (not os.path.isdir(final) or os.listdir(final)):
            raise OffsiteError(f"{final} exists and is not an empty folder; choose a new one")
        parent = os.path.dirname(final)
        os.makedirs(parent, mode=0o700, exist_ok=True)
        transfer = Transfer()
        temporary = ""

        def work() -> None:
            nonlocal temporary
            if not self.link.is_dir(folder):
                raise OffsiteError(f"{name} is not off-site ({folder} does not exist)")
            if self._is_encrypted(folder):
                temporary = self._fetch_encrypted(folder, name, parent, transfer)
                return
            manifest, raw, signature = self._remote_manifest(folder)
            temporary = tempfile.mkdtemp(
                prefix=FETCHING + os.path.basename(final) + ".", dir=parent
            )
            _write_private(os.path.join(temporary, MANIFEST_NAME), raw)
            if signature is not None:
                _write_private(os.path.join(temporary, SIGNATURE_NAME), signature)
            sizes = {n: int(e.get("size", 0)) for n, e in manifest["files"].items()}
            transfer.total = sum(sizes.values()) + len(raw) + len(signature or b"")
            transfer.sent += len(raw) + len(signature or b"")
            restart: set[str] = set()
            for _attempt in range(SEND_ROUNDS):
                for file_name in sorted(restart or sizes):
                    self._fetch_file(
                        folder, temporary, file_name, sizes[file_name], transfer, restart
                    )
                check = verify_files(temporary, manifest)
                if check.ok:
                    check_snapshot(temporary, self.keys, trust_unsigned=self.trust_unsigned)
                    return
                restart = {p.split(":", 1)[0] for p in check.problems}
                transfer.resent.extend(restart)
            raise OffsiteError(
                f"the fetched copy of {name} does not match its manifest after "
                f"{SEND_ROUNDS} rounds: " + "; ".join(check.problems[:5])
            )

        try:
            self._guard(f"fetching {name} from {self.config.describe()}", work)
        except BaseException:
            if temporary:
                shutil.rmtree(temporary, ignore_errors=True)
            raise
        if os.path.isdir(final):
            os.rmdir(final)
        os.rename(temporary, final)
        self.say(f"{name}: fetched and verified into {final}")
        return {"ok": True, "name": name, "remote": folder, "local": final, **transfer.as_dict()}

    def _fetch_encrypted(self, folder: str, name: str, parent: str, transfer: Transfer) -> str:
        """Ciphertext into one fresh folder (checked against the signed index), then
        decrypted into another, checked as a snapshot; returns the latter."""
        if not self.config.identity_file:
            raise OffsiteError(
                f"{name} is encrypted off-site: set identity_file (the age private key) in "
                "the off-site config to fetch it"
            )
        index = self._remote_index(folder)
        expected = _expected_of(index)
        transfer.total = sum(size for size, _sha in expected.values())
        cipher = tempfile.mkdtemp(prefix=f"{FETCHING}{name}.age.", dir=parent)
        try:
            restart: set[str] = set()
            for _attempt in range(SEND_ROUNDS):
                for file_name in sorted(restart or expected):
                    size = expected[file_name][0]
                    self._fetch_file(folder, cipher, file_name, size, transfer, restart)
                restart = {
                    n
                    for n, (_size, sha) in expected.items()
                    if sha256_of(os.path.join(cipher, *n.split("/"))) != sha
                }
                if not restart:
                    break
                transfer.resent.extend(restart)
            else:
                raise OffsiteError(
                    f"the fetched ciphertext of {name} does not match its index after "
                    f"{SEND_ROUNDS} rounds: " + ", ".join(sorted(restart)[:5])
                )
            plain = tempfile.mkdtemp(prefix=FETCHING + name + ".", dir=parent)
            try:
                decrypt_into(cipher, index, plain, self.config.identity_file)
                if sha256_of(os.path.join(plain, MANIFEST_NAME)) != index["manifest_sha256"]:
                    raise OffsiteError(f"{name}: the decrypted manifest is not the one indexed")
                check_snapshot(plain, self.keys, trust_unsigned=self.trust_unsigned)
            except BaseException:
                shutil.rmtree(plain, ignore_errors=True)
                raise
            return plain
        finally:
            shutil.rmtree(cipher, ignore_errors=True)

    def _fetch_file(
        self,
        folder: str,
        temporary: str,
        file_name: str,
        size: int,
        transfer: Transfer,
        restart: set[str],
    ) -> None:
        local = os.path.join(temporary, *file_name.split("/"))
        os.makedirs(os.path.dirname(local), mode=0o700, exist_ok=True)
        there = os.path.getsize(local) if os.path.isfile(local) else None
        if file_name in restart:
            there = None
        if there == size:
            transfer.kept_in_place[file_name] = size
            return
        offset = there if there is not None and there < size else 0
        transfer.kept_in_place[file_name] = offset

        def received(count: int) -> None:
            transfer.sent += count

        self.link.download(posixpath.join(folder, file_name), local, offset, size, received)
        transfer.files_sent += 1

    # prune --------------------------------------------------------------------------

    def prune(
        self, policy: Policy | None = None, site: str | None = None, dry_run: bool = False
    ) -> dict[str, Any]:
        """Apply the retention policy at the far end (see the module's docstring)."""
        policy = policy or self.config.policy
        folder = self.site_dir(site)

        def work() -> dict[str, Any]:
            entries = self.link.listdir(folder)
            names = [n for n, is_dir, _m in entries if is_dir and not n.startswith(".")]
            timed = timed_names(names)
            kept = select_kept(timed, policy.keep_last, policy.keep_daily, policy.keep_weekly)
            deleted = sorted(n for n, _t in timed if n not in kept)
            oldest_kept = min((t for n, t in timed if n in kept), default=None)
            partial_removed = []
            for entry, is_dir, _m in entries:
                if not is_dir:
                    continue
                if entry.startswith(REPLACED):
                    partial_removed.append(entry)
                elif entry.startswith(PARTIAL) and oldest_kept is not None:
                    moment = parse_snapshot_name(entry[len(PARTIAL) :])
                    if moment is not None and moment < oldest_kept:
                        partial_removed.append(entry)
            if not dry_run:
                for entry in [*deleted, *sorted(partial_removed)]:
                    self.link.remove_tree(posixpath.join(folder, entry))
                    self.say(f"pruned at the far end: {entry}")
            return {
                "ok": True,
                "folder": folder,
                "policy": policy.as_dict(),
                "kept": sorted(kept),
                "deleted": deleted,
                "partial_removed": sorted(partial_removed),
                "left_alone": sorted(set(names) - {n for n, _t in timed}),
                "dry_run": dry_run,
            }

        return self._guard(f"pruning {folder} at {self.config.describe()}", work)


def _expected_of(index: dict[str, Any]) -> dict[str, tuple[int, str]]:
    """Name -> (size, SHA-256) of an encrypted copy's files, the index itself included
    only by name (its signature is what vouches for it)."""
    return {n: (int(e["size"]), str(e.get("sha256"))) for n, e in index["files"].items()}


def _write_private(path: str, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "wb") as stream:
        stream.write(data)
