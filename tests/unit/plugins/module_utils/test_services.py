"""module_utils/services.py: the health check over real HTTP, the maintenance flag."""

import http.server
import json
import threading

import pytest

from ansible_collections.datamig.site.plugins.module_utils import services  # isort: skip


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        status = 200 if self.path == "/health" else 500
        body = json.dumps({"status": "ok", "version": "2"}) if status == 200 else "boom"
        self.send_response(status)
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


def test_http_get_gives_the_status_and_body_of_errors_too(server):
    assert services.http_get(server + "/health", 5) == (200, '{"status": "ok", "version": "2"}')
    assert services.http_get(server + "/broken", 5) == (500, "boom")
    assert services.http_get("http://127.0.0.1:1/", 5)[0] == 0


def test_health_checks_status_and_version(server):
    services.health(services.http_get, server + "/health", "2", 1, 0)
    with pytest.raises(services.ServiceError, match="not 3"):
        services.health(services.http_get, server + "/health", "3", 2, 0)
    with pytest.raises(services.ServiceError, match=r"Status code was 500 and not \[200\]"):
        services.health(services.http_get, server + "/broken", "", 1, 0)


def test_the_maintenance_flag_on_keeps_its_first_time_and_off_removes_it(tmp_path):
    flag = str(tmp_path / "maintenance.json")
    services.maintenance_on(flag, "Upgrade", "r1")
    first = json.loads((tmp_path / "maintenance.json").read_text())
    services.maintenance_on(flag, "Upgrade", "r1")
    again = json.loads((tmp_path / "maintenance.json").read_text())
    assert again == first and first["run_id"] == "r1"
    assert services.maintenance_off(flag) is True
    assert services.maintenance_off(flag) is False


def test_the_status_format_takes_any_page_answered_200_and_asks_no_version():
    page = "<html><title>prod1</title></html>"
    assert services.health_problem(200, page, "2", "status") is None
    assert "not JSON" in services.health_problem(200, page, "2", "json")
    assert "Status code was 502" in services.health_problem(502, "Bad Gateway", "", "status")
