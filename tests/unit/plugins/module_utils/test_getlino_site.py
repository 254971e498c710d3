"""getlino_site: a getlino-made Lino site read off its node (getlino's own templates)."""

import pytest

from ...getlino_node import configure, startsite

from ansible_collections.datamig.site.plugins.module_utils import (  # isort: skip
    adopted_site,
    getlino_site,
)

PRJ_DIR = "/usr/local/lino/lino_local/{}"


def test_an_asgi_site_on_mariadb_is_read_as_getlino_wrote_it(tmp_path):
    config = configure(tmp_path)
    startsite(tmp_path, config, "prod1", db_password="a $ecret = 1")
    startsite(tmp_path, config, "other", asgi=False)
    site, refusals = getlino_site.describe("prod1", str(tmp_path))
    assert refusals == []
    assert site["layout"] == "getlino"
    assert site["project_dir"] == PRJ_DIR.format("prod1")
    assert site["settings_module"] == "lino_local.prod1.settings"
    assert site["python_path"] == "/usr/local/lino"
    assert site["venv"] == PRJ_DIR.format("prod1") + "/env"
    assert site["static_root"] == PRJ_DIR.format("prod1") + "/env/static_root"
    db = site["database"]
    assert (db["vendor"], db["name"], db["user"], db["host"], db["port"]) == (
        "mysql",
        "prod1",
        "lino",
        "localhost",
        "3306",
    )
    assert db["password"] == "a $ecret = 1"
    assert db["storage_engine"] == "MyISAM" and site["notes"]
    programs = {p["name"]: p for p in site["programs"]}
    # only this project's programs, not the other site's
    assert set(programs) == {"prod1_linod", "prod1_asgi"}
    assert programs["prod1_asgi"]["role"] == "web" and programs["prod1_asgi"]["group"] is True
    assert (
        programs["prod1_linod"]["role"] == "background"
        and programs["prod1_linod"]["group"] is False
    )
    assert site["app_server"] == "daphne"
    assert site["run_user"] == "www-data"
    assert site["web_server"] == {
        "kind": "nginx",
        "config": "/etc/nginx/sites-available/prod1.conf",
        "enabled": True,
        "server_names": ["prod1.example.org"],
    }
    assert site["cron_snapshot"] == "/etc/cron.daily/make_snapshot_prod1"
    assert site["config_files"] == ["/etc/getlino/getlino.conf"]


def test_a_uwsgi_site_on_postgresql_has_its_uwsgi_and_linod_programs(tmp_path):
    config = configure(tmp_path, db_engine="postgresql")
    startsite(tmp_path, config, "pg1", db_engine="postgresql", asgi=False, cron=False)
    site, refusals = getlino_site.describe("pg1", str(tmp_path))
    assert refusals == []
    assert site["database"]["vendor"] == "postgresql" and site["database"]["storage_engine"] == ""
    programs = {p["name"]: p["role"] for p in site["programs"]}
    assert programs == {"pg1-uwsgi": "web", "linod-pg1": "background"}
    assert site["app_server"] == "uwsgi"
    assert site["cron_snapshot"] == ""
    assert "notes" not in site


def test_an_apache_site_is_served_by_mod_wsgi(tmp_path):
    config = configure(tmp_path, web_server="apache")
    startsite(tmp_path, config, "ap1", asgi=False)
    site, refusals = getlino_site.describe("ap1", str(tmp_path))
    assert refusals == []
    assert site["web_server"]["kind"] == "apache2"
    assert site["app_server"] == "mod_wsgi"
    assert [p["name"] for p in site["programs"]] == ["linod-ap1"]


def test_a_sqlite_database_is_found_in_the_project_folder(tmp_path):
    config = configure(tmp_path)
    startsite(tmp_path, config, "lite", db_engine="sqlite3")
    site, _refusals = getlino_site.describe("lite", str(tmp_path))
    assert site["database"]["vendor"] == "sqlite"
    assert site["database"]["name"] == PRJ_DIR.format("lite") + "/default.db"


def test_a_shared_virtualenv_is_refused_naming_the_other_sites_unless_allowed(tmp_path):
    config = configure(tmp_path)
    for prj in ("a1", "a2", "a3"):
        startsite(tmp_path, config, prj, shared_env="/usr/local/lino/shared/env")
    _site, refusals = getlino_site.describe("a1", str(tmp_path))
    assert len(refusals) == 1
    assert "a2, a3" in refusals[0] and "datamig_adopt_shared_env=true" in refusals[0]
    site, refusals = getlino_site.describe("a1", str(tmp_path), allow_shared_env=True)
    assert refusals == []
    assert site["venv"] == "/usr/local/lino/shared/env"
    assert site["venv_shared_with"] == ["a2", "a3"]
    # the programs of the sites sharing the virtualenv are theirs, not this one's
    assert sorted(p["name"] for p in site["programs"]) == ["a1_asgi", "a1_linod"]


def test_settings_are_parsed_never_run_and_computed_databases_are_refused(tmp_path):
    config = configure(tmp_path)
    project = startsite(tmp_path, config, "env1")
    marker = tmp_path / "ran"
    settings = project / "settings.py"
    settings.write_text(
        f"open({str(marker)!r}, 'w').write('settings ran')\n"
        "import os\n"
        "DATABASES = {'default': {'ENGINE': 'django.db.backends.mysql', 'NAME': os.environ['DB']}}\n"
    )
    site, refusals = getlino_site.describe("env1", str(tmp_path))
    assert not marker.exists()
    assert site["database"] is None
    assert len(refusals) == 1 and "line 3 is not a literal" in refusals[0]


def test_an_unknown_engine_and_no_databases_are_refused(tmp_path):
    config = configure(tmp_path)
    project = startsite(tmp_path, config, "odd")
    (project / "settings.py").write_text(
        "DATABASES = {'default': {'ENGINE': 'django.db.backends.oracle'}}\n"
    )
    _site, refusals = getlino_site.describe("odd", str(tmp_path))
    assert "'django.db.backends.oracle' is not one datamig knows" in refusals[0]
    (project / "settings.py").write_text("SECRET_KEY = 'x'\n")
    _site, refusals = getlino_site.describe("odd", str(tmp_path))
    assert "assigns no DATABASES" in refusals[0]


def test_a_project_without_web_server_or_virtualenv_is_refused(tmp_path):
    config = configure(tmp_path)
    project = startsite(tmp_path, config, "bare")
    (project / "env" / "bin" / "python").unlink()
    (project / "env" / "bin").rmdir()
    (project / "env").rmdir()
    (tmp_path / "etc" / "nginx" / "sites-available" / "bare.conf").unlink()
    _site, refusals = getlino_site.describe("bare", str(tmp_path))
    assert any("no virtualenv" in r for r in refusals)
    assert any("no web server configuration" in r for r in refusals)


def test_no_getlino_configuration_or_no_such_project_is_said_plainly(tmp_path):
    with pytest.raises(getlino_site.NotAGetlinoSite, match="no getlino configuration"):
        getlino_site.describe("x", str(tmp_path))
    config = configure(tmp_path)
    startsite(tmp_path, config, "prod1")
    with pytest.raises(
        getlino_site.NotAGetlinoSite, match=r"no getlino project 'prod2'.*found: prod1"
    ):
        getlino_site.describe("prod2", str(tmp_path))


def test_options_in_root_s_own_config_win(tmp_path):
    configure(tmp_path)
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / ".getlino.conf").write_text("[DEFAULT]\nsites_base = /srv/lino\n")
    options, files = getlino_site.read_config(str(tmp_path))
    assert options["sites_base"] == "/srv/lino" and options["env_link"] == "env"
    assert files == ["/etc/getlino/getlino.conf", "/root/.getlino.conf"]


def test_a_settings_file_that_does_not_parse_is_refused_naming_its_line(tmp_path):
    # getlino writes the password between single quotes as it is: one with a quote in it
    # gives a settings.py that Python cannot read (the site itself cannot start)
    config = configure(tmp_path)
    startsite(tmp_path, config, "quoted", db_password="it's")
    site, refusals = getlino_site.describe("quoted", str(tmp_path))
    assert site["database"] is None
    assert len(refusals) == 1
    assert "/usr/local/lino/lino_local/quoted/settings.py" in refusals[0] and "line" in refusals[0]


def test_the_inventory_of_a_getlino_site_on_mariadb_starts_its_web_group_first(tmp_path):
    startsite(tmp_path, configure(tmp_path), "prod1")
    site, _refusals = getlino_site.describe("prod1", str(tmp_path))
    out = adopted_site.inventory_vars(site, "/var/lib/datamig/prod1", "PROD1_DB_NAME")
    assert out == {
        "datamig_site_root": "/var/lib/datamig/prod1",
        "datamig_settings": "lino_local.prod1.settings",
        "datamig_db_name_var": "PROD1_DB_NAME",
        "datamig_db_vendor": "mysql",
        "datamig_program": "prod1_asgi:*",
        "datamig_programs": ["prod1_asgi:*", "prod1_linod"],
        "datamig_site_user": "www-data",
        "datamig_health_format": "status",
        "datamig_health_path": "/",
        "datamig_db_admin": "root",
        "datamig_db_owner": "lino",
    }
