"""Read-only mode (datamig.readonly): a real Django site served by a threaded WSGI server
through the middleware, made read-only and writable again by `datamig readonly`, on SQLite and
PostgreSQL.

The site (written into tmp_path) has views that read, that write on POST, that write on a
GET (a row, a session), and a slow one that writes after a pause. Every check reads the
database afterwards: a write refused left no row, a write acknowledged left its row.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from datamig.readonly import gate
from datamig.readonly.sql import first_keyword, is_write

from .helpers import Database, new_database

pytestmark = pytest.mark.slow

SETTINGS = """
import os
SECRET_KEY = "test"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "rosite.urls"
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.sessions", "rosite"]
MIDDLEWARE = ["django.contrib.sessions.middleware.SessionMiddleware"]
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
if os.environ["RO_VENDOR"] == "sqlite":
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["RO_DB"]}}
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": os.environ["RO_DB"],
                             "HOST": "127.0.0.1", "USER": "postgres"}}
DATABASES["default"]["ATOMIC_REQUESTS"] = True  # reads inside transactions and savepoints
"""

MODELS = """
from django.db import models

class Note(models.Model):
    uid = models.CharField(max_length=40, unique=True)
"""

VIEWS = """
import time
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from .models import Note

def index(request):
    return HttpResponse(f"notes {Note.objects.count()}")

def touch(request):  # a GET that writes: a last-seen stamp, say
    Note.objects.create(uid="touch-" + request.GET["uid"])
    return HttpResponse("touched")

def session(request):  # a GET whose session is saved by the middleware after the view
    request.session["seen"] = True
    return HttpResponse("session")

def swallow(request):  # a view that catches the database's error and answers 200 anyway
    try:
        Note.objects.create(uid="swallow-" + request.GET["uid"])
    except Exception:
        pass
    return HttpResponse("all fine, it says")

@csrf_exempt
def add(request):
    if request.POST.get("mark"):  # tells the test the request is in its view
        open(request.POST["mark"], "w").close()
    time.sleep(float(request.POST.get("pause", "0")))
    Note.objects.create(uid=request.POST["uid"])
    return HttpResponse("added", status=201)
"""

URLS = """
from django.urls import path
from . import views
urlpatterns = [path("", views.index), path("touch", views.touch), path("session", views.session),
               path("swallow", views.swallow), path("add", views.add)]
"""

WSGI = """
import os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rosite.settings")
from django.core.wsgi import get_wsgi_application
application = get_wsgi_application()
"""


# A threaded WSGI server from the standard library serving the middleware, as an app server
# would (one thread per request, close() called on every response). gunicorn is not used
# here: the test hosts' releases inherit this virtualenv's packages, and a gunicorn in it
# would hide the "release without gunicorn" failure that tests/integration inject.
SERVER = """
import socketserver, sys
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass

class Threaded(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True

from datamig.readonly.wsgi import application

make_server("127.0.0.1", int(sys.argv[1]), application, Threaded, Quiet).serve_forever()
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Site:
    """The tiny site, migrated, served through datamig.readonly.wsgi."""

    def __init__(self, tmp_path: Path, db: Database) -> None:
        self.root = tmp_path / "project"
        app = self.root / "rosite"
        (app / "migrations").mkdir(parents=True)
        for name, text in {
            "__init__.py": "",
            "settings.py": SETTINGS,
            "models.py": MODELS,
            "views.py": VIEWS,
            "urls.py": URLS,
            "wsgi.py": WSGI,
            "migrations/__init__.py": "",
        }.items():
            (app / name).write_text(text)
        self.db = db
        self.flag = str(tmp_path / "readonly.json")
        self.lock = str(tmp_path / "readonly.lock")
        self.env = {
            **os.environ,
            "PYTHONPATH": str(self.root),
            "DJANGO_SETTINGS_MODULE": "rosite.settings",
            "RO_VENDOR": db.vendor,
            "RO_DB": db.name,
            gate.FLAG_ENV: self.flag,
            gate.LOCK_ENV: self.lock,
        }
        self.manage("makemigrations", "rosite")
        self.manage("migrate")
        self.port = _free_port()
        self.server = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(self.port)], env=self.env, cwd=self.root
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if self.request("/")[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("the WSGI server did not answer")

    def python(self, code: str) -> str:
        """Run code with the site's Django set up; its stdout."""
        done = subprocess.run(
            [sys.executable, "-c", "import django; django.setup(); " + code],
            env=self.env,
            cwd=self.root,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def manage(self, *args: str) -> str:
        return self.python(
            f"from django.core.management import call_command; call_command(*{list(args)!r})"
        )

    def uids(self) -> set[str]:
        code = "import json; from rosite.models import Note; "
        code += "print(json.dumps(sorted(Note.objects.values_list('uid', flat=True))))"
        return set(json.loads(self.python(code)))

    def sessions(self) -> int:
        code = "from django.contrib.sessions.models import Session; print(Session.objects.count())"
        return int(self.python(code))

    def request(self, path: str, data: dict | None = None, method: str | None = None):
        body = None if data is None else urllib.parse.urlencode(data).encode()
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", data=body, method=method
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                return response.status, response.read().decode(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), dict(error.headers)

    def datamig(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "datamig", "readonly", *args, "--json"],
            env=self.env,
            capture_output=True,
            text=True,
        )

    def on(self, *extra: str) -> subprocess.CompletedProcess:
        return self.datamig("on", "--flag", self.flag, "--lock", self.lock, *extra)

    def off(self) -> subprocess.CompletedProcess:
        return self.datamig("off", "--flag", self.flag)

    def stop(self) -> None:
        self.server.terminate()
        self.server.wait(timeout=30)


@pytest.fixture(params=["sqlite", "postgresql"])
def site(request, tmp_path: Path):
    db = new_database(request.param, tmp_path, "readonly")
    db.create_empty()
    served = Site(tmp_path, db)
    yield served
    served.stop()
    db.drop()


def test_writes_are_refused_reads_served_and_nothing_refused_is_written(site: Site) -> None:
    assert site.request("/add", {"uid": "before"})[0] == 201
    assert site.request("/")[:2] == (200, "notes 1")

    done = site.on("--reason", "Upgrading to version 2.")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["read_only"] is True

    assert site.request("/")[:2] == (200, "notes 1")  # reads, in their atomic blocks
    assert site.request("/", method="HEAD")[0] == 200
    status, body, headers = site.request("/add", {"uid": "refused-post"})
    assert status == 503 and "read-only" in body and "Upgrading to version 2." in body
    assert headers["Retry-After"] == "60" and headers["X-Datamig-Read-Only"] == "1"
    # GETs that write: refused whole, never a 500 and never a row
    assert site.request("/touch?uid=1")[0] == 503
    assert site.request("/session")[0] == 503
    # a view that swallows the database's error would answer 200: answered 503 instead
    assert site.request("/swallow?uid=1")[0] == 503
    assert site.uids() == {"before"} and site.sessions() == 0

    done = site.off()
    assert done.returncode == 0 and json.loads(done.stdout)["removed"] is True
    assert site.request("/add", {"uid": "after"})[0] == 201
    assert site.request("/touch?uid=2")[0] == 200
    assert site.request("/session")[0] == 200
    assert site.uids() == {"before", "after", "touch-2"} and site.sessions() == 1


def _wait_for(path: str) -> None:
    deadline = time.monotonic() + 20
    while not os.path.exists(path):
        assert time.monotonic() < deadline, "the slow request never reached its view"
        time.sleep(0.02)


def test_a_write_in_flight_ends_before_read_only_begins_and_is_kept(site: Site) -> None:
    results: dict[str, int] = {}
    mark = site.flag + ".in-view"

    def slow() -> None:
        results["slow"] = site.request("/add", {"uid": "in-flight", "pause": "2", "mark": mark})[0]

    thread = threading.Thread(target=slow)
    thread.start()
    _wait_for(mark)  # the request is in its view, holding the drain lock
    started = time.monotonic()
    done = site.on("--drain-timeout", "20")
    waited = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    thread.join()
    # `on` returned only once the request had written and ended: its row is there, so a
    # snapshot taken from now on holds it; nothing refused, nothing lost
    assert results["slow"] == 201
    assert "in-flight" in site.uids()
    # (the view pauses 2 s after it began; `on` started after that)
    assert waited >= 1.0 and json.loads(done.stdout)["drained_seconds"] >= 1.0
    # and from now on nothing writes
    assert site.request("/add", {"uid": "late"})[0] == 503
    assert "late" not in site.uids()


def test_past_the_drain_timeout_writes_are_allowed_again_and_the_command_fails(site: Site) -> None:
    results: dict[str, int] = {}
    mark = site.flag + ".in-view"

    def slow() -> None:
        results["slow"] = site.request("/add", {"uid": "long", "pause": "3", "mark": mark})[0]

    thread = threading.Thread(target=slow)
    thread.start()
    _wait_for(mark)
    done = site.on("--drain-timeout", "0.5")
    assert done.returncode != 0
    error = json.loads(done.stdout)
    assert error["kind"] == "drain_timeout" and "writes are allowed again" in error["error"]
    assert not os.path.exists(site.flag)
    thread.join()
    assert results["slow"] == 201 and "long" in site.uids()
    assert site.request("/add", {"uid": "next"})[0] == 201


def test_a_flag_that_cannot_be_read_still_means_read_only(tmp_path: Path) -> None:
    flag = tmp_path / "flag"
    flag.write_bytes(b"\xff not json")
    assert gate.read_flag(str(flag)) == {}
    assert gate.read_flag(str(tmp_path / "absent")) is None


@pytest.mark.parametrize(
    ("sql", "writes"),
    [
        ("SELECT 1", False),
        ('  /* c */ (SELECT "a" FROM "t")', False),
        ("select * from t for update", False),
        ('SAVEPOINT "s1"', False),
        ("RELEASE SAVEPOINT s1", False),
        ("ROLLBACK TO SAVEPOINT s1", False),
        ("SET TIME ZONE 'UTC'", False),
        ("PRAGMA foreign_keys = ON", False),
        ("WITH x AS (SELECT 1) SELECT * FROM x", False),
        ("SELECT 'INSERT INTO t' FROM t", False),
        ("INSERT INTO t VALUES (1)", True),
        ("-- a comment\nUPDATE t SET a = 1", True),
        ("DELETE FROM t", True),
        ("REPLACE INTO t VALUES (1)", True),
        ("WITH x AS (DELETE FROM t RETURNING *) SELECT 1", True),
        ("SELECT a INTO b FROM t", True),
        ("CREATE TABLE t (a int)", True),
        ("TRUNCATE t", True),
        ("COPY t FROM STDIN", True),
        ("PRAGMA user_version = 3", True),
        ("", True),  # unknown means write
        ("VACUUM", True),
    ],
)
def test_which_statements_write(sql: str, writes: bool) -> None:
    assert is_write(sql) is writes, (sql, first_keyword(sql))
