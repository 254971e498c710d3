# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where a site's snapshot signing keys live, and what installing them changes.

Each site signs its snapshots with its own key folder, ``<root>/shared/keys`` (0700,
``signing.key`` 0600), not with the default folder of whoever runs the engine: every
engine run the roles make is given it as ``DATAMIG_KEY_DIR``. The folder's key is made by
the first engine run that needs it, or installed from an Ansible Vault secret
(``datamig_signing_key``); other machines' public keys (``datamig_trusted_keys``) are
trusted in it, so that a snapshot of another node, fetched from off site in a disaster,
verifies here. The engine owns the formats; this module only decides what to do.
"""

import base64
import binascii
import hashlib
import os

KEY_DIR_ENV = "DATAMIG_KEY_DIR"
PRIVATE_NAME = "signing.key"
TRUSTED_FOLDER = "trusted"
PUBLIC_PREFIX = "datamig-ed25519"


class KeyLineError(ValueError):
    """A trusted key that is not a datamig public line."""


def key_dir(shared_dir):
    """The site's key folder."""
    return os.path.join(shared_dir, "keys")


def engine_env(plain, folder):
    """The engine's plain environment: site.env's plain variables and the site's key
    folder (a DATAMIG_KEY_DIR that site.env sets itself wins: an adopted site's own)."""
    env = {KEY_DIR_ENV: folder}
    env.update(plain or {})
    return env


def public_key_id(line, where="trusted key"):
    """The engine's id of a public line ``datamig-ed25519 <base64>`` (the first 16 hex
    digits of the SHA-256 of the raw key), or KeyLineError saying what is wrong."""
    parts = str(line or "").strip().split()
    if len(parts) < 2 or parts[0] != PUBLIC_PREFIX:
        raise KeyLineError(
            f"{where}: not a datamig public key (expected '{PUBLIC_PREFIX} <base64>', "
            "as `datamig key show` prints it)"
        )
    try:
        raw = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise KeyLineError(f"{where}: not a datamig public key (bad base64 or length)")
    return hashlib.sha256(raw).hexdigest()[:16]


def normal_pem(text):
    """A private key as the module writes it: stripped, one final newline ("" for none)."""
    text = (text or "").strip()
    return text + "\n" if text else ""


def plan(folder_exists, current_pem, wanted_pem, trusted_ids, wanted_lines):
    """What installing the keys changes.

    ``current_pem``: the folder's signing.key (None: there is none); ``wanted_pem``: the
    secret to install ("": keep or make the folder's own); ``trusted_ids``: the ids the
    folder trusts now; ``wanted_lines``: public lines to trust. Returns a dict::

        make_folder    the folder is missing
        install_key    wanted_pem differs from the key there
        keep_old       the key being replaced stays trusted (its snapshots still verify)
        make_key       no key and none given: the engine makes one
        trust          [(id, line)] not trusted yet, in the order given, each once
    """
    wanted = normal_pem(wanted_pem)
    install = bool(wanted) and normal_pem(current_pem) != wanted
    known = set(trusted_ids or ())
    trust = []
    for number, line in enumerate(wanted_lines or [], 1):
        ident = public_key_id(line, f"trusted key {number}")
        if ident not in known:
            known.add(ident)
            trust.append((ident, str(line).strip()))
    return {
        "make_folder": not folder_exists,
        "install_key": install,
        "keep_old": install and current_pem is not None,
        "make_key": current_pem is None and not wanted,
        "trust": trust,
    }


def trusted_ids_on_disk(folder):
    """The ids of ``<folder>/trusted/<id>.pub`` (the engine names them so)."""
    path = os.path.join(folder, TRUSTED_FOLDER)
    if not os.path.isdir(path):
        return []
    return sorted(name[: -len(".pub")] for name in os.listdir(path) if name.endswith(".pub"))
