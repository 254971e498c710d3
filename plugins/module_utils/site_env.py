# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``shared/site.env``: one quoting for writing it, sourcing it with the shell, and reading it.

The file is a list of shell assignments ``NAME=VALUE``, one a line, with ``#`` comments.
Each value is written quoted as ``shlex.quote`` quotes it (Ansible's ``quote`` filter, used
by ``roles/site/templates/site.env.j2`` and the switch): plain words stay bare, anything
else goes between single quotes, a single quote itself as ``'"'"'``. ``bin/site-env`` and
the gunicorn wrapper source the file with ``/bin/sh`` (``set -a; . site.env``).

:func:`parse` reads the same text back as POSIX ``sh`` would - bare words, single quotes,
double quotes, backslashes - and refuses, naming the line, what the shell would expand
(``$``, backquotes outside single quotes) or run (anything but assignments): those values
depend on the shell's environment, so no reader could give back what the site sees.
"""

import re
import shlex

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# characters that end or change a bare word in sh
_SPECIAL = set(" \t\n;&|<>()")


class SiteEnvError(ValueError):
    """site.env holds something other than plain assignments."""


def quote(value):
    """A value as site.env holds it (what the ``quote`` filter writes)."""
    return shlex.quote(str(value))


def render(env, header=""):
    """The text of a site.env holding env (sorted by name), after optional comment lines."""
    lines = ["# " + line if line else "#" for line in header.splitlines()]
    for name in sorted(env):
        if not NAME.match(name):
            raise SiteEnvError(f"site.env: {name!r} is not a shell variable name")
        lines.append(f"{name}={quote(env[name])}")
    return "\n".join(lines) + "\n"


def _word(text, pos, line):
    """Read one shell word from pos; return (value, end, line)."""
    out = []
    size = len(text)
    while pos < size:
        char = text[pos]
        if char in _SPECIAL:
            break
        if char == "'":
            end = text.find("'", pos + 1)
            if end < 0:
                raise SiteEnvError(f"site.env line {line}: a single quote is not closed")
            chunk = text[pos + 1 : end]
            line += chunk.count("\n")
            out.append(chunk)
            pos = end + 1
        elif char == '"':
            pos += 1
            while True:
                if pos >= size:
                    raise SiteEnvError(f"site.env line {line}: a double quote is not closed")
                char = text[pos]
                if char == '"':
                    pos += 1
                    break
                if char in "$`":
                    raise SiteEnvError(
                        f"site.env line {line}: {char} in double quotes is expanded by the "
                        "shell; write the value in single quotes"
                    )
                if char == "\\" and pos + 1 < size and text[pos + 1] in '$`"\\\n':
                    if text[pos + 1] == "\n":
                        line += 1
                    else:
                        out.append(text[pos + 1])
                    pos += 2
                    continue
                if char == "\n":
                    line += 1
                out.append(char)
                pos += 1
        elif char == "\\":
            if pos + 1 >= size:
                pos += 1
                break
            if text[pos + 1] == "\n":  # a line continuation
                line += 1
            else:
                out.append(text[pos + 1])
            pos += 2
        elif char in "$`":
            raise SiteEnvError(
                f"site.env line {line}: unquoted {char} is expanded by the shell; "
                "write the value in single quotes"
            )
        else:
            out.append(char)
            pos += 1
    return "".join(out), pos, line


def parse(text):
    """The variables a POSIX shell sets by sourcing text, in file order.

    Raises SiteEnvError for what is not a plain assignment."""
    env = {}
    pos, line, size = 0, 1, len(text)
    while pos < size:
        char = text[pos]
        if char == "\n":
            line += 1
            pos += 1
            continue
        if char in " \t":
            pos += 1
            continue
        if char == ";":
            pos += 1
            continue
        if char == "#":
            end = text.find("\n", pos)
            pos = size if end < 0 else end
            continue
        if char in _SPECIAL:
            raise SiteEnvError(f"site.env line {line}: {char!r} is not part of an assignment")
        start_line = line
        raw_end = pos
        while raw_end < size and text[raw_end] not in "='\"\\" and text[raw_end] not in _SPECIAL:
            raw_end += 1
        name = text[pos:raw_end]
        if name == "export" and raw_end < size and text[raw_end] in " \t":
            pos = raw_end
            continue
        if raw_end >= size or text[raw_end] != "=" or not NAME.match(name):
            word = text[pos:raw_end] or text[pos : pos + 20]
            raise SiteEnvError(
                f"site.env line {start_line}: {word!r} is not an assignment NAME=VALUE"
            )
        value, pos, line = _word(text, raw_end + 1, line)
        env[name] = value
    return env


def read(path):
    """parse() of the file at path (UTF-8)."""
    with open(path, encoding="utf-8") as handle:
        return parse(handle.read())
