"""The test hosts themselves: isolation, ssh, Ansible, nginx/supervisor, clean removal."""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.hosts.ansible import ROOT, run_playbook
from tests.hosts.netns import SSH_OPTIONS, TestHost, TestNetwork, sweep

NGINX_SITE = """\
server {
    listen 80 default_server;
    location / {
        default_type text/plain;
        return 200 "nginx of $hostname\\n";
    }
}
"""

SLEEPER = """\
[program:sleeper]
command=/bin/sleep 600
startsecs=0
"""


def http_get(address: str, port: int = 80) -> tuple[int, str]:
    """GET / straight to address (http.client: no proxy from the environment)."""
    conn = http.client.HTTPConnection(address, port, timeout=5)
    try:
        conn.request("GET", "/")
        resp = conn.getresponse()
        return resp.status, resp.read().decode()
    finally:
        conn.close()


def alive(pid: int) -> bool:
    """True if process pid exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def mounted_anywhere(path: Path) -> list[str]:
    """Mount entries below path in any process's mount namespace."""
    hits = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            text = (proc / "mountinfo").read_text()
        except OSError:
            continue
        hits += [f"{proc.name}: {line}" for line in text.splitlines() if str(path) in line]
    return hits


def wait_until(check, timeout: float = 10, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_hosts_have_their_own_hostname_and_folders(test_hosts):
    a, b = test_hosts(2)
    assert a.name != b.name
    assert a.address != b.address
    assert a.run("hostname", check=True).stdout == f"{a.name}\n"
    assert b.run(["cat", "/etc/hostname"], check=True).stdout == f"{b.name}\n"

    marker = f"dmt-marker-{uuid.uuid4().hex}"
    a.run(f"echo from-a > /srv/{marker}", check=True)
    assert a.run(["cat", f"/srv/{marker}"], check=True).stdout == "from-a\n"
    assert b.run(["test", "-e", f"/srv/{marker}"]).returncode == 1
    assert not (Path("/srv") / marker).exists()  # the root namespace's /srv
    assert (a.fs / "srv" / marker).exists()  # where a's /srv lives, seen from outside

    # own /run, /etc/nginx, processes (PID namespace) and network interfaces
    a.run(f"echo a > /run/{marker} && echo '# {marker}' >> /etc/nginx/nginx.conf", check=True)
    assert b.run(f"test -e /run/{marker}").returncode == 1
    assert marker in a.run(["cat", "/etc/nginx/nginx.conf"], check=True).stdout
    assert marker not in b.run(["cat", "/etc/nginx/nginx.conf"], check=True).stdout
    assert marker not in Path("/etc/nginx/nginx.conf").read_text()
    assert a.run(["cat", "/proc/1/comm"], check=True).stdout != "process_api\n"
    assert b.run("ls /sys/class/net", check=True).stdout.split() == ["eth0", "lo"]
    assert f"inet {b.address}/24" in b.run("ip -4 addr show eth0", check=True).stdout


def test_ssh_with_the_key_runs_hostname_and_refuses_passwords(test_hosts):
    hosts = test_hosts(2, names=["web", "db"])
    for host in hosts:
        result = subprocess.run(
            [*host.ssh_args, "hostname"], capture_output=True, text=True, timeout=30
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout == f"{host.name}\n"

    no_key = (
        "PubkeyAuthentication=no",
        "PasswordAuthentication=yes",
        "KbdInteractiveAuthentication=yes",
    )
    refused = subprocess.run(
        [
            "ssh",
            *SSH_OPTIONS,
            *(f"-o{option}" for option in no_key),
            f"root@{hosts[0].address}",
            "true",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert refused.returncode == 255
    assert "Permission denied (publickey)" in refused.stderr


def test_ansible_reaches_both_hosts(test_hosts):
    a, b = test_hosts(2)
    assert a.inventory_vars()["ansible_python_interpreter"] == "/usr/bin/python3"
    play = {
        "hosts": "all",
        "gather_facts": False,
        "tasks": [
            {"ansible.builtin.ping": {}},
            {"ansible.builtin.command": "hostname", "register": "h", "changed_when": False},
            {"ansible.builtin.debug": {"msg": "{{ inventory_hostname }} is {{ h.stdout }}"}},
            {
                "ansible.builtin.copy": {"dest": "/srv/greeting", "content": "{{ greeting }}\n"},
            },
        ],
    }
    result = run_playbook([play], [a, b], {"greeting": "hello"})
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    for host in (a, b):
        assert f"{host.name} is {host.name}" in output
        assert re.search(rf"{host.name}\s+: ok=4\s+changed=1\s+unreachable=0\s+failed=0", output)
        assert host.run(["cat", "/srv/greeting"], check=True).stdout == "hello\n"
    assert not Path("/srv/greeting").exists()


def test_ansible_sees_this_repository_as_datamig_site():
    from tests.hosts.ansible import ansible_env, collections_path

    site = collections_path() / "ansible_collections" / "datamig" / "site"
    assert (site / "galaxy.yml").is_file()
    result = subprocess.run(
        [str(ROOT / ".venv/bin/ansible-config"), "dump", "--only-changed"],
        env=ansible_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    for setting in ("HOST_KEY_CHECKING", "RETRY_FILES_ENABLED", "INTERPRETER_PYTHON"):
        assert setting in result.stdout
    assert str(collections_path()) in result.stdout


def test_nginx_and_supervisor_run_side_by_side(test_hosts):
    a, b = test_hosts(2)
    for host in (a, b):
        host.run("cat > /etc/nginx/sites-enabled/default", input=NGINX_SITE, check=True)
        host.run("cat > /etc/supervisor/conf.d/sleeper.conf", input=SLEEPER, check=True)
        host.run("nginx -t && nginx", check=True)
        host.run("supervisord -c /etc/supervisor/supervisord.conf", check=True)

    # each nginx answers on its host's address with its host's name ...
    wait_until(lambda: _answers(a.address), what=f"nginx on {a.address}:80")
    assert http_get(a.address) == (200, f"nginx of {a.name}\n")
    assert http_get(b.address) == (200, f"nginx of {b.name}\n")
    probe = f"import http.client as h; c = h.HTTPConnection('{a.address}', 80, timeout=5); c.request('GET', '/'); print(c.getresponse().read().decode(), end='')"
    assert b.run(["python3", "-c", probe], check=True).stdout == f"nginx of {a.name}\n"
    # ... and on its own loopback, and nowhere in the root namespace
    local = probe.replace(a.address, "127.0.0.1")
    assert a.run(["python3", "-c", local], check=True).stdout == f"nginx of {a.name}\n"
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", 80), timeout=5).close()
    listeners = subprocess.run(["ss", "-Hltnp"], capture_output=True, text=True, check=True)
    on_80 = [line for line in listeners.stdout.splitlines() if line.split()[3].endswith(":80")]
    assert on_80 == [], f"something listens on port 80 in the root namespace: {on_80}"

    # supervisord in each host, with its own socket (/run) and its own program
    for host in (a, b):
        wait_until(
            lambda host=host: "RUNNING" in host.run("supervisorctl status sleeper").stdout,
            what=f"supervisor's sleeper on {host.name}",
        )
        assert host.run("pgrep -c -x sleep").stdout == "1\n"  # its own, not the other's
        assert host.run("pgrep -c -x nginx").stdout.strip() != "0"
        assert (host.fs / "var/log/supervisor/supervisord.log").exists()
        assert (host.fs / "run/nginx.pid").exists()


def _answers(address: str) -> bool:
    try:
        http_get(address)
    except OSError:
        return False
    return True


def test_test_host_fixture(test_host):
    assert isinstance(test_host, TestHost)
    assert test_host.started_in is not None and test_host.started_in < 10
    # Ansible's interpreter in the host: ansible-core 2.19 needs Python >= 3.8 there
    version = test_host.run(
        ["/usr/bin/python3", "-c", "import sys; print(sys.version_info >= (3, 8))"], check=True
    )
    assert version.stdout == "True\n"
    assert test_host.ssh("id -u").stdout == "0\n"


def test_stop_leaves_no_process_namespace_link_mount_or_folder(test_network: TestNetwork):
    host = test_network.add_host()
    host.run("nginx", check=True)
    host.run("setsid sleep 300 </dev/null >/dev/null 2>&1 &", check=True)
    # a process that joined only the network namespace, not the host's others
    outsider = subprocess.Popen(
        ["ip", "netns", "exec", host.netns, "sleep", "300"], start_new_session=True
    )
    wait_until(lambda: outsider.pid in host.processes(), what="the outsider in the netns")
    pids = host.processes()
    assert host.pid in pids and len(pids) >= 6  # reaper, sshd, nginx x3, sleep, outsider

    host.stop()

    assert outsider.wait(timeout=10) == -9
    assert [pid for pid in pids if alive(pid)] == []
    namespaces = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert host.netns not in namespaces
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    assert f" {host.netns}@" not in links and f" {host.netns}:" not in links
    assert str(host.dir) not in Path("/proc/mounts").read_text()
    assert mounted_anywhere(host.dir) == []
    assert not host.dir.exists()
    host.stop()  # idempotent


def test_sweep_removes_what_a_crashed_run_left(test_network: TestNetwork):
    # A run that dies without cleaning up (os._exit: no finalizer runs).
    crash = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os; from tests.hosts.netns import TestNetwork; "
            "h = TestNetwork().add_host('crashed'); print(h.netns, h.pid, h.dir, flush=True); "
            "os._exit(0)",
        ],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert crash.returncode == 0, crash.stderr
    netns, pid, folder = crash.stdout.split()
    assert alive(int(pid)) and Path(folder).is_dir()

    sweep()  # (a concurrent run's sweep may have been quicker: the outcome is the same)

    assert not alive(int(pid))
    assert (
        netns not in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    )
    assert not Path(folder).exists()
    assert mounted_anywhere(Path(folder)) == []
    # this session's own network is untouched: its owner still runs
    assert test_network.client_key.exists()
