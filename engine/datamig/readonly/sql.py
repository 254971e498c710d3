"""Which SQL statements change data or schema (refused while a site is read-only).

The rule looks at the statement's first keyword, after comments and opening
parentheses: a small list of keywords that only read, or only manage the connection and
its transaction, is allowed; everything else (INSERT, UPDATE, DELETE, REPLACE, MERGE,
CREATE, ALTER, DROP, TRUNCATE, COPY, GRANT, CALL, DO, LOCK ...) counts as a write. Unknown
means write: a statement the list does not know is refused rather than let through. A
``WITH`` query is a write when it holds a data-changing keyword (PostgreSQL's writable
CTEs); ``SELECT ... INTO`` creates a table.
"""

from __future__ import annotations

import re

READ_KEYWORDS = frozenset(
    {
        "SELECT",
        "SHOW",
        "EXPLAIN",
        "DESCRIBE",
        "DESC",
        "VALUES",
        "TABLE",
        # the connection and its transactions: Django opens atomic blocks around reads too
        "BEGIN",
        "START",
        "COMMIT",
        "END",
        "ROLLBACK",
        "SAVEPOINT",
        "RELEASE",
        "SET",
        "RESET",
        "PRAGMA",
    }
)

_LEADING = re.compile(r"(\s+|--[^\n]*(\n|$)|/\*.*?\*/|\()", re.S)
_WORD = re.compile(r"[A-Za-z_]+")
_STRINGS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`[^`]*`")
_CHANGES = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE|REPLACE|INTO)\b", re.I)
_INTO = re.compile(r"\bINTO\b", re.I)
_PRAGMA_SET = re.compile(r"^\s*PRAGMA\s+[\w.]+\s*=", re.I)


def first_keyword(sql: str) -> str:
    """The statement's first keyword, upper case ("" when there is none)."""
    position = 0
    while True:
        match = _LEADING.match(sql, position)
        if not match:
            break
        position = match.end()
    word = _WORD.match(sql, position)
    return word.group(0).upper() if word else ""


def is_write(sql: str) -> bool:
    """Whether the statement may change data or schema (see the module's rule)."""
    if not isinstance(sql, str):
        return True
    keyword = first_keyword(sql)
    bare = _STRINGS.sub("''", sql)  # keywords inside literals and quoted names do not count
    if keyword == "WITH":
        return bool(_CHANGES.search(bare))
    if keyword not in READ_KEYWORDS:
        return True
    if keyword == "SELECT":
        return bool(_INTO.search(bare))  # SELECT ... INTO new_table
    if keyword == "PRAGMA" and _PRAGMA_SET.match(bare):
        return _pragma_changes_file(bare)
    return False


def _pragma_changes_file(sql: str) -> bool:
    """``PRAGMA x = y`` mostly sets a connection option; a few change the file itself."""
    name = sql.split("=", 1)[0].split()[-1].lower().rsplit(".", 1)[-1]
    return name in {"user_version", "application_id", "journal_mode", "page_size", "auto_vacuum"}
