#!/usr/bin/env bash
# tests/lino/setup_lino_env.sh: build (or bring up to date) the Lino venv of tests/lino.
#
#   tests/lino/setup_lino_env.sh        prints the venv's python on its last line
#
# The venv (LINO_VENV, default .work/lino-venv) holds the pinned packages of
# requirements/lino.txt (lino, a Lino application, Django, psycopg ...) and the engine
# (`pip install -e engine`). It is separate from .venv: Lino pins Django by its own rules.
#
# Idempotent and fast when up to date: nothing is installed when the stamp in the venv
# (sha256 of requirements/lino.txt, engine/pyproject.toml, this script and the Python
# version) matches. When it does not, the venv is built anew from nothing, so it holds
# exactly the pinned set. Also installs the Debian libraries Lino needs to start
# (weasyprint loads pango) when they are missing.
# Environment: LINO_VENV, PYTHON (interpreter for the venv, default python3).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

VENV=${LINO_VENV:-$ROOT/.work/lino-venv}
PY=${PYTHON:-python3}
REQUIREMENTS=requirements/lino.txt
STAMP=$VENV/.datamig-lino-stamp
# Debian libraries that weasyprint (imported when Lino starts) loads with dlopen.
DEB_PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0)

say() { printf 'setup_lino_env: %s\n' "$*" >&2; }
die() {
    printf 'setup_lino_env: ERROR: %s\n' "$*" >&2
    exit 1
}

command -v "$PY" >/dev/null 2>&1 || die "no $PY on PATH (set PYTHON)"
wanted=$(
    {
        cat "$REQUIREMENTS" engine/pyproject.toml "${BASH_SOURCE[0]}"
        "$PY" -c 'import sys; print(sys.version)'
    } | sha256sum | cut -d' ' -f1
)

up_to_date() {
    [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$wanted" ]
}

deb_installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

debian_packages() {
    command -v dpkg-query >/dev/null 2>&1 || return 0 # not Debian: the libraries are up to you
    local missing=() p sudo=()
    for p in "${DEB_PACKAGES[@]}"; do
        deb_installed "$p" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 && sudo=(sudo -n)
    fi
    say "installing Debian packages: ${missing[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq ||
        die "apt-get update failed"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends -o Dpkg::Use-Pty=0 "${missing[@]}" ||
        die "apt-get install ${missing[*]} failed"
}

debian_packages

if up_to_date; then
    say "$VENV is up to date"
    echo "$VENV/bin/python"
    exit 0
fi

# One build at a time (parallel test runs share the venv); then look again.
mkdir -p "$(dirname "$VENV")"
if command -v flock >/dev/null 2>&1; then
    exec 9>"$VENV.lock"
    flock -w 1200 9 || die "another setup_lino_env.sh has held $VENV.lock for 20 minutes"
    if up_to_date; then
        say "$VENV is up to date (built meanwhile)"
        echo "$VENV/bin/python"
        exit 0
    fi
fi

say "building $VENV from $REQUIREMENTS (a minute or two)"
rm -rf "$VENV"
"$PY" -m venv "$VENV" || die "$PY -m venv $VENV failed (Debian: apt-get install python3-venv)"
pip=("$VENV/bin/python" -m pip --disable-pip-version-check --no-input -q)
"${pip[@]}" install -r "$REQUIREMENTS" || die "pip install -r $REQUIREMENTS failed"
"${pip[@]}" install --no-deps -e engine || die "pip install -e engine failed"
"${pip[@]}" check || die "pip check found inconsistent requirements in $VENV"
"$VENV/bin/python" -c 'import datamig, django, lino, lino_cosi' ||
    die "the new venv cannot import datamig, django, lino and lino_cosi"
echo "$wanted" >"$STAMP"
say "$VENV is ready"
echo "$VENV/bin/python"
