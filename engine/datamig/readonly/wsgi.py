"""The WSGI middleware that keeps a Django site answering reads while it is read-only.

Wrap the site's WSGI application (``ReadOnlyGate(application, flag, lock)``), or point the
app server at :data:`application`, which wraps the one ``DATAMIG_WSGI_APPLICATION`` names
(``module:attribute``, default ``<DJANGO_SETTINGS_MODULE's package>.wsgi:application``).
The site's code is not changed.

Without the flag a request goes through untouched, holding the drain lock shared
(:mod:`.gate`). With it:

- a request whose method may write (anything but GET, HEAD, OPTIONS and TRACE) is answered
  503 with a short page saying the site is read-only for an upgrade, and ``Retry-After``;
- any other request runs with every database connection's SQL checked
  (``connection.execute_wrapper``): a statement that writes (:mod:`.sql`) is refused before
  it reaches the database, and the whole request is answered 503 like a write - whatever
  the view made of the error (Django would have turned it into a 500). So the response is
  held back until the view has finished: a read-only response is sent only once it is known
  that nothing was written, and streamed responses are read whole first.
"""

from __future__ import annotations

import contextlib
import html
import importlib
import os
import threading
from collections.abc import Callable, Iterable
from typing import Any

from . import gate
from .sql import is_write

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
RETRY_AFTER_ENV = "DATAMIG_READONLY_RETRY_AFTER"

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Read-only for an upgrade</title></head>
<body><h1>This site is read-only for a few moments</h1>
<p>{reason}</p><p>Nothing was saved. Please try again in a minute.</p></body></html>
"""


class WriteRefused(Exception):
    """A statement that writes, refused because the site is read-only."""


class _Blocker:
    """The execute wrapper: refuses writing statements, and remembers that it did."""

    def __init__(self) -> None:
        self.refused: list[str] = []

    def __call__(self, execute: Callable, sql: Any, params: Any, many: bool, context: Any):
        if is_write(sql if isinstance(sql, str) else str(sql)):
            self.refused.append(str(sql)[:200])
            raise WriteRefused("the site is read-only for an upgrade: no writes")
        return execute(sql, params, many, context)


class ReadOnlyGate:
    """WSGI middleware: ``app`` served as is, or read-only while ``flag_path`` exists."""

    def __init__(
        self,
        app: Callable,
        flag_path: str,
        lock_path: str,
        connections: Any = None,
        retry_after: int | None = None,
    ) -> None:
        self.app = app
        self.flag_path = flag_path
        self.lock_path = lock_path
        self._connections = connections
        self.retry_after = retry_after
        self.local = threading.local()

    @property
    def connections(self) -> Any:
        if self._connections is None:
            from django.db import connections

            self._connections = connections
        return self._connections

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        stack = contextlib.ExitStack()
        flag = stack.enter_context(gate.request_gate(self.flag_path, self.lock_path))
        if flag is None:  # writes allowed: hold the drain lock until the response is sent
            try:
                result = self.app(environ, start_response)
            except BaseException:
                stack.close()
                raise
            return _ClosingIterable(result, stack.close)
        stack.close()
        if environ.get("REQUEST_METHOD", "GET").upper() not in SAFE_METHODS:
            return self.refuse(flag, start_response)
        return self.read_only(environ, start_response, flag)

    def read_only(self, environ: dict, start_response: Callable, flag: dict) -> Iterable[bytes]:
        blocker = _Blocker()
        captured: list[Any] = []

        def capture(status: str, headers: list, exc_info: Any = None) -> Callable:
            captured[:] = [status, headers, exc_info]
            return lambda data: body.append(data)  # the legacy write() callable

        body: list[bytes] = []
        with contextlib.ExitStack() as wrappers:
            for alias in self.connections:
                wrappers.enter_context(self.connections[alias].execute_wrapper(blocker))
            try:
                result = self.app(environ, capture)
                try:
                    body.extend(result)
                finally:
                    close = getattr(result, "close", None)
                    if close is not None:
                        close()
            except WriteRefused:
                blocker.refused.append("(raised through the view)")
        if blocker.refused or not captured:
            return self.refuse(flag, start_response)
        status, headers, exc_info = captured
        start_response(status, headers, exc_info)
        return body

    def refuse(self, flag: dict, start_response: Callable) -> Iterable[bytes]:
        retry = self.retry_after or flag.get("retry_after") or gate.DEFAULT_RETRY_AFTER
        reason = str(flag.get("reason") or "The site is read-only for an upgrade.")
        page = _PAGE.format(reason=html.escape(reason)).encode("utf-8")
        start_response(
            "503 Service Unavailable",
            [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Length", str(len(page))),
                ("Retry-After", str(int(retry))),
                ("Cache-Control", "no-store"),
                ("X-Datamig-Read-Only", "1"),
            ],
        )
        return [page]


class _ClosingIterable:
    """The application's response, and one more thing to do when the server closes it."""

    def __init__(self, result: Iterable[bytes], after: Callable[[], None]) -> None:
        self.result = result
        self.after = after

    def __iter__(self):
        return iter(self.result)

    def close(self) -> None:
        try:
            close = getattr(self.result, "close", None)
            if close is not None:
                close()
        finally:
            self.after()


def _load(spec: str) -> Callable:
    module, _, attribute = spec.partition(":")
    return getattr(importlib.import_module(module), attribute or "application")


def _default_spec() -> str:
    settings = os.environ.get("DJANGO_SETTINGS_MODULE", "")
    if not settings:
        raise RuntimeError(
            "datamig.readonly.wsgi needs DATAMIG_WSGI_APPLICATION (module:attribute) or "
            "DJANGO_SETTINGS_MODULE"
        )
    return settings.rpartition(".")[0] + ".wsgi:application"


def make_application() -> ReadOnlyGate:
    """The site's application wrapped, from the environment (see the module's docstring)."""
    flag = os.environ.get(gate.FLAG_ENV)
    lock = os.environ.get(gate.LOCK_ENV)
    if not flag or not lock:
        raise RuntimeError(f"datamig.readonly.wsgi needs {gate.FLAG_ENV} and {gate.LOCK_ENV}")
    retry = os.environ.get(RETRY_AFTER_ENV)
    app = _load(os.environ.get("DATAMIG_WSGI_APPLICATION") or _default_spec())
    return ReadOnlyGate(app, flag, lock, retry_after=int(retry) if retry else None)


def __getattr__(name: str) -> Any:
    # ``application`` is made on first use, so that importing this module needs no settings
    if name == "application":
        globals()["application"] = make_application()
        return globals()["application"]
    raise AttributeError(name)
