"""Test hosts: Linux namespaces that look like servers to Ansible.

A test host is built from plain Linux tools (iproute2, util-linux, openssh):

* a network namespace ``dmt-h<N>`` (``ip netns add``), joined by a veth pair to the
  bridge ``dmtbr0`` in the root namespace; the root side is ``10.231.77.1``, host
  ``h<N>`` gets ``10.231.77.<N>`` on its ``eth0``, loopback is up, and there is no
  default route (a host reaches its peers and the root side, nothing else);
* a UTS, mount and PID namespace made by ``unshare`` inside that network namespace,
  whose PID 1 is a tiny reaper (``/usr/bin/python3``); the mount namespace has
  per-host folders (under ``/tmp/dmt-hosts/h<N>/fs``) bind-mounted on ``/srv``,
  ``/root``, ``/run``, ``/tmp``, ``/etc/ssh``, ``/etc/nginx``, ``/etc/supervisor``,
  ``/var/log/nginx``, ``/var/log/supervisor``, ``/var/lib/nginx``, ``/etc/hostname``
  and ``/etc/hosts``, a ``/proc`` of its own and a ``/sys`` showing its own interfaces;
  the rest of the file system is the machine's (programs, Python, /etc/passwd ...);
* sshd (Debian's openssh-server) inside, on the host's address port 22, with its own
  ed25519 host key; root logs in with the network's client key (password and
  keyboard-interactive authentication off).

Commands enter a host with ``nsenter -t <pid 1> --net --uts --mount --pid``; killing
its PID 1 kills every process of the host, whoever started it, and its mounts vanish
with the mount namespace. Processes that joined only the network namespace (``ip netns
exec``) are found with ``ip netns pids`` and killed too.

Several test runs may share the machine at once: addresses are allocated under a lock
file, every host folder records its owner process, and ``sweep()`` removes only what
belongs to processes that are gone (crashed runs). The bridge is removed when no host
is left.

Use it through the pytest fixtures in ``tests.hosts.fixtures`` or directly::

    with TestNetwork() as net:
        a, b = net.add_hosts(2)
        a.run("hostname")                       # CompletedProcess, stdout 'h2\\n'
        subprocess.run([*b.ssh_args, "hostname"])

``python -m tests.hosts.netns list|sweep`` shows or removes test hosts by hand.
"""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Union

BRIDGE = "dmtbr0"
SUBNET = ipaddress.IPv4Network("10.231.77.0/24")
GATEWAY = SUBNET.network_address + 1  # the root namespace's side, on the bridge
PREFIX = "dmt-"  # network namespaces and root-side veths: dmt-h<N>
BASE = Path(os.environ.get("DATAMIG_TEST_HOSTS_DIR", "/tmp/dmt-hosts"))
PYTHON = "/usr/bin/python3"  # the hosts' python: PID 1's reaper and Ansible's interpreter
SSHD = "/usr/sbin/sshd"

# Folders (and two files) that every host has of its own, relative to "/". /tmp comes
# last: the per-host folders live under /tmp and must still be visible while mounting.
PRIVATE_DIRS = (
    "srv",
    "root",
    "run",
    "etc/ssh",
    "etc/nginx",
    "etc/supervisor",
    "var/log/nginx",
    "var/log/supervisor",
    "var/lib/nginx",
)
PRIVATE_FILES = ("etc/hostname", "etc/hosts")
PRIVATE_LAST = ("tmp",)
# Seeded with a copy of the machine's folder, so nginx and supervisord start as
# Debian configures them.
SEEDED = ("etc/nginx", "etc/supervisor")
# Which Debian package brings what a host mounts or runs (for the error message).
NEEDED = {
    "/etc/nginx": "nginx",
    "/var/lib/nginx": "nginx",
    "/var/log/nginx": "nginx",
    "/etc/supervisor": "supervisor",
    "/var/log/supervisor": "supervisor",
    "/etc/ssh": "openssh-client",
    SSHD: "openssh-server",
    "/usr/bin/ssh-keygen": "openssh-client",
    "/usr/bin/ssh": "openssh-client",
    PYTHON: "python3",
}

# The environment of every command run in a host: nothing of the caller's (virtualenv,
# pyenv shims, pytest's variables) leaks in.
HOST_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME": "/root",
    "USER": "root",
    "LOGNAME": "root",
    "SHELL": "/bin/sh",
    "LANG": "C.UTF-8",
}

SSH_OPTIONS = (
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    "BatchMode=yes",
    "-o",
    "ConnectTimeout=10",
    "-o",
    "LogLevel=ERROR",
)

SSHD_CONFIG = """\
# sshd of test host {name} (tests/hosts/netns.py)
ListenAddress {address}:22
HostKey /etc/ssh/ssh_host_ed25519_key
PidFile /run/sshd.pid
PermitRootLogin prohibit-password
PubkeyAuthentication yes
AuthorizedKeysFile .ssh/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
UseDNS no
PrintMotd no
AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
"""

# PID 1 of a host: mounts the private folders, sets the hostname, says "ready" and
# becomes a reaper of orphans (daemons started in the host re-parent to it). Arguments:
# the host's folder tree, its hostname, then the paths to bind-mount.
INIT_SH = r"""
set -e
fs=$1
name=$2
shift 2
# This mount namespace began as a copy of the root one: drop the copies of the other
# hosts' /run/netns entries, which would keep their network namespaces alive.
umount -R -l /run/netns 2>/dev/null || true
# Folders of this machine under /tmp that the host must still see (the checkout, when
# it lives there, as CI's clone may): bound into the host's own /tmp first.
for shared in $DMT_SHARED_TMP; do
    mkdir -p "$fs$shared"
    mount --bind "$shared" "$fs$shared"
done
for p in "$@"; do
    mount --rbind "$fs/$p" "/$p"
done
hostname "$name"
echo ready
exec /usr/bin/python3 -c '
import os, signal, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGHUP, signal.SIG_IGN)
signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
while True:
    try:
        os.waitpid(-1, 0)
    except ChildProcessError:
        time.sleep(0.2)
'
"""


def shared_tmp_folders() -> list[str]:
    """The checkout, if it lives under /tmp: hosts have a /tmp of their own, and the
    playbooks read the demo code, wheels and .venv from the checkout."""
    checkout = Path(__file__).resolve().parents[2]
    return [str(checkout)] if checkout.is_relative_to("/tmp") and " " not in str(checkout) else []


Command = Union[str, Sequence[str]]


class HostError(RuntimeError):
    """A test host or the test network could not be built or removed."""


# --- small helpers ---------------------------------------------------------------------


def _cmd(
    args: Sequence[str], *, check: bool = True, timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    try:
        proc = subprocess.run(
            list(args),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError as exc:
        raise HostError(f"{args[0]} is missing: {exc}") from exc
    if check and proc.returncode != 0:
        raise HostError(
            f"`{' '.join(args)}` failed (exit {proc.returncode}): "
            f"{(proc.stderr or proc.stdout).strip()}"
        )
    return proc


def _start_time(pid: int) -> str | None:
    """The start time of process pid (in clock ticks since boot), None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _owner_tag() -> str:
    return f"{os.getpid()} {_start_time(os.getpid())}\n"


def _owner_alive(folder: Path) -> bool:
    """True if the process that made folder (its file "owner") still runs."""
    try:
        pid, start = (folder / "owner").read_text().split()
    except (OSError, ValueError):
        return False
    return _start_time(int(pid)) == start


@contextlib.contextmanager
def _locked(base: Path) -> Iterator[None]:
    """Serialises allocation and removal across every process that uses base."""
    base.mkdir(mode=0o755, parents=True, exist_ok=True)
    with open(base / ".lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _netns_names() -> list[str]:
    out = _cmd(["ip", "netns", "list"]).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def _links() -> list[str]:
    """Names of the root namespace's network interfaces."""
    out = _cmd(["ip", "-o", "link", "show"]).stdout
    return [line.split(":")[1].strip().split("@")[0] for line in out.splitlines()]


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _kill_netns_processes(netns: str, timeout: float = 10) -> None:
    """SIGKILL every process in network namespace netns until none is left."""
    deadline = time.monotonic() + timeout
    while True:
        proc = _cmd(["ip", "netns", "pids", netns], check=False)
        pids = [int(p) for p in proc.stdout.split()]
        if proc.returncode != 0 or not pids:
            return
        if time.monotonic() > deadline:
            raise HostError(f"processes {pids} in network namespace {netns} do not die")
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)


def _remove_host_parts(netns: str, folder: Path | None) -> None:
    """Kill what runs in netns, delete its veth and the namespace, remove folder."""
    if netns in _netns_names():
        _kill_netns_processes(netns)
    if netns in _links():
        _cmd(["ip", "link", "del", netns], check=False)
    if netns in _netns_names():
        _cmd(["ip", "netns", "del", netns])
    if folder is not None and folder.exists():
        shutil.rmtree(folder)


def _sweep_locked(base: Path) -> list[str]:
    """Remove hosts and client-key folders whose owner process is gone (lock held)."""
    removed = []
    if base.is_dir():
        for folder in sorted(base.iterdir()):
            if not folder.is_dir() or _owner_alive(folder):
                continue
            if folder.name.startswith("run-"):
                shutil.rmtree(folder)
            else:
                _remove_host_parts(PREFIX + folder.name, folder)
            removed.append(folder.name)
    # Namespaces and veths of ours without a folder: a run that crashed mid-removal.
    for name in _netns_names():
        if name.startswith(PREFIX) and not (base / name[len(PREFIX) :]).is_dir():
            _remove_host_parts(name, None)
            removed.append(name)
    for name in _links():
        if name.startswith(PREFIX) and not (base / name[len(PREFIX) :]).is_dir():
            _cmd(["ip", "link", "del", name], check=False)
            removed.append(name)
    return removed


def _hosts_left(base: Path) -> bool:
    return base.is_dir() and any(
        p.is_dir() and re.fullmatch(r"h\d+", p.name) for p in base.iterdir()
    )


def sweep(base: Path = BASE) -> list[str]:
    """Remove the leftovers of crashed runs: test hosts (processes, namespaces, veths,
    folders) whose owner process is gone, stray ``dmt-*`` namespaces and veths, and the
    bridge if no host is left. Hosts of runs still going are left alone."""
    with _locked(base):
        removed = _sweep_locked(base)
        if not _hosts_left(base) and BRIDGE in _links():
            _cmd(["ip", "link", "del", BRIDGE])
            removed.append(BRIDGE)
    return removed


def mac(address: str | ipaddress.IPv4Address) -> str:
    """The MAC address that goes with an address of SUBNET (locally administered). An
    address keeps its MAC when a new host takes it over, so ARP caches of the machine and
    of the other hosts stay right (else connections stall until the entries expire)."""
    octets = ipaddress.IPv4Address(address).packed
    return "02:64:6d:74:{:02x}:{:02x}".format(*octets[2:])


def _check_subnet() -> None:
    """Refuse to use SUBNET if the machine already has it on another interface."""
    for line in _cmd(["ip", "-4", "-o", "addr", "show"]).stdout.splitlines():
        fields = line.split()
        dev, cidr = fields[1], fields[3]
        if dev != BRIDGE and ipaddress.IPv4Interface(cidr).network.overlaps(SUBNET):
            raise HostError(f"{SUBNET} is already used on this machine: {dev} has {cidr}")
    for line in _cmd(["ip", "-4", "-o", "route", "show"]).stdout.splitlines():
        fields = line.split()
        if fields[0] == "default" or "dev" not in fields:
            continue
        dev = fields[fields.index("dev") + 1]
        if dev != BRIDGE and ipaddress.IPv4Network(fields[0], strict=False).overlaps(SUBNET):
            raise HostError(f"{SUBNET} overlaps the route `{line.strip()}` on this machine")


def _ensure_bridge() -> None:
    if BRIDGE not in _links():
        _check_subnet()
        # A fixed MAC address: by default a bridge takes its ports' lowest, which changes
        # as hosts come and go and leaves stale ARP entries in the other hosts.
        _cmd(f"ip link add {BRIDGE} address {mac(GATEWAY)} type bridge forward_delay 0".split())
        _cmd(["ip", "addr", "add", f"{GATEWAY}/{SUBNET.prefixlen}", "dev", BRIDGE])
        _cmd(["ip", "link", "set", BRIDGE, "up"])


def _check_prerequisites() -> None:
    if os.geteuid() != 0:
        raise HostError("test hosts need root (network, mount and PID namespaces)")
    for tool in ("ip", "unshare", "nsenter", "mount"):
        if shutil.which(tool) is None:
            raise HostError(f"{tool} is missing (Debian packages iproute2 / util-linux)")
    missing = sorted({pkg for path, pkg in NEEDED.items() if not os.path.exists(path)})
    if missing:
        raise HostError(
            f"Debian packages missing for test hosts: {' '.join(missing)} (run tools/bootstrap)"
        )


# --- the network -----------------------------------------------------------------------


class TestNetwork:
    """The bridge, the client key pair and the hosts of one test run."""

    __test__ = False  # not a pytest test class

    def __init__(self, base: Path = BASE) -> None:
        self.base = Path(base)
        self.hosts: list[TestHost] = []
        self.keydir: Path | None = None
        self.started = False

    @property
    def client_key(self) -> Path:
        """The private ed25519 key root logs in with on every host of this network."""
        if self.keydir is None:
            raise HostError("the test network is not started")
        return self.keydir / "id_ed25519"

    def start(self) -> TestNetwork:
        """Check the machine, clear leftovers of crashed runs, make the bridge and the
        client key pair."""
        if self.started:
            return self
        _check_prerequisites()
        with _locked(self.base):
            _sweep_locked(self.base)
            _ensure_bridge()
            n = 0
            while (self.base / f"run-{os.getpid()}-{n}").exists():
                n += 1
            self.keydir = self.base / f"run-{os.getpid()}-{n}"
            self.keydir.mkdir(mode=0o700)
            (self.keydir / "owner").write_text(_owner_tag())
        _cmd(
            [
                "ssh-keygen",
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                "dmt-test-client",
                "-f",
                str(self.client_key),
            ]
        )
        self.started = True
        return self

    def add_host(self, name: str | None = None) -> TestHost:
        """A new host, up and answering ssh. name is its hostname (default h<N>)."""
        self.start()
        host = TestHost(self, name)
        self.hosts.append(host)
        try:
            host.start()
        except BaseException:
            with contextlib.suppress(Exception):
                host.stop()
            raise
        return host

    def add_hosts(self, count: int, names: Sequence[str] | None = None) -> list[TestHost]:
        names = list(names) if names is not None else [None] * count
        if len(names) != count:
            raise ValueError(f"{count} hosts but {len(names)} names")
        return [self.add_host(name) for name in names]

    def stop(self) -> None:
        """Stop every host, remove the client keys, the leftovers of crashed runs and the
        bridge if no other run still has hosts on it."""
        errors: list[BaseException] = []
        for host in list(self.hosts):
            try:
                host.stop()
            except Exception as exc:
                errors.append(exc)
        with _locked(self.base):
            if self.keydir is not None and self.keydir.exists():
                shutil.rmtree(self.keydir)
            self.keydir = None
            try:
                _sweep_locked(self.base)
                if not _hosts_left(self.base) and BRIDGE in _links():
                    _cmd(["ip", "link", "del", BRIDGE])
            except Exception as exc:
                errors.append(exc)
        self.started = False
        if errors:
            raise HostError("; ".join(str(e) for e in errors)) from errors[0]

    def __enter__(self) -> TestNetwork:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- one host --------------------------------------------------------------------------


class TestHost:
    """One test host of a TestNetwork: see the module's documentation."""

    __test__ = False  # not a pytest test class

    def __init__(self, network: TestNetwork, name: str | None = None) -> None:
        if name is not None and not re.fullmatch(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", name):
            raise ValueError(f"{name!r} is no valid hostname (lower case, digits, -)")
        self.network = network
        with _locked(network.base):
            _ensure_bridge()
            octet = next(
                (
                    n
                    for n in range(2, SUBNET.num_addresses - 1)
                    if not (network.base / f"h{n}").exists()
                    and f"{PREFIX}h{n}" not in _netns_names()
                ),
                None,
            )
            if octet is None:
                raise HostError(f"no free address left in {SUBNET}")
            self.id = f"h{octet}"
            self.dir = network.base / self.id
            self.dir.mkdir()
            (self.dir / "owner").write_text(_owner_tag())
        self.name = name or self.id
        self.address = str(SUBNET.network_address + octet)
        self.netns = PREFIX + self.id  # also the name of the root side of its veth
        self.fs = self.dir / "fs"  # the host's private folders, seen from outside
        self.pid: int | None = None  # its PID 1, seen from the root PID namespace
        self._holder: subprocess.Popen[bytes] | None = None
        self.started_in: float | None = None  # seconds start() took
        self.stopped = False

    def __repr__(self) -> str:
        return f"<TestHost {self.name} {self.address} netns={self.netns} pid={self.pid}>"

    # building ------------------------------------------------------------------------

    def start(self) -> None:
        t0 = time.monotonic()
        self._make_network()
        self._make_tree()
        self._start_namespaces()
        self._start_sshd()
        self.started_in = time.monotonic() - t0

    def _make_network(self) -> None:
        ns = self.netns
        _cmd(["ip", "netns", "add", ns])
        _cmd(
            f"ip link add {ns} type veth peer name eth0 address {mac(self.address)} netns {ns}".split()
        )
        _cmd(["ip", "link", "set", ns, "master", BRIDGE, "up"])
        _cmd(["ip", "-n", ns, "addr", "add", f"{self.address}/{SUBNET.prefixlen}", "dev", "eth0"])
        _cmd(["ip", "-n", ns, "link", "set", "lo", "up"])
        _cmd(["ip", "-n", ns, "link", "set", "eth0", "up"])

    def _make_tree(self) -> None:
        fs = self.fs
        for rel in PRIVATE_DIRS + PRIVATE_LAST:
            if rel in SEEDED:
                shutil.copytree(Path("/") / rel, fs / rel, symlinks=True)
            else:
                (fs / rel).mkdir(parents=True)
        os.chmod(fs / "root", 0o700)
        os.chmod(fs / "tmp", 0o1777)
        (fs / "run/sshd").mkdir(mode=0o755)  # sshd's privilege separation folder
        (fs / "etc/hostname").write_text(f"{self.name}\n")
        (fs / "etc/hosts").write_text(
            f"127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n"
            f"{self.address}\t{self.name}\n{GATEWAY}\tdmt-gateway\n"
        )
        with contextlib.suppress(FileNotFoundError):  # supervisor's log owner, if any
            shutil.copystat("/var/log/supervisor", fs / "var/log/supervisor")
        (fs / "etc/ssh/sshd_config").write_text(
            SSHD_CONFIG.format(name=self.name, address=self.address)
        )
        key = fs / "etc/ssh/ssh_host_ed25519_key"
        _cmd(
            [
                "ssh-keygen",
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                f"root@{self.name}",
                "-f",
                str(key),
            ]
        )
        ssh_dir = fs / "root/.ssh"
        ssh_dir.mkdir(mode=0o700)
        authorized = ssh_dir / "authorized_keys"
        shutil.copyfile(f"{self.network.client_key}.pub", authorized)
        os.chmod(authorized, 0o600)

    def _start_namespaces(self, timeout: float = 15) -> None:
        log = self.dir / "init.log"
        mounts = [*PRIVATE_DIRS, *PRIVATE_FILES, *PRIVATE_LAST]
        with open(log, "wb") as out:
            self._holder = subprocess.Popen(
                [
                    "ip",
                    "netns",
                    "exec",
                    self.netns,
                    "unshare",
                    "--uts",
                    "--mount",
                    "--pid",
                    "--fork",
                    "--mount-proc",
                    "/bin/sh",
                    "-c",
                    INIT_SH,
                    "dmt-init",
                    str(self.fs),
                    self.name,
                    *mounts,
                ],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd="/",
                env={**HOST_ENV, "DMT_SHARED_TMP": " ".join(shared_tmp_folders())},
                start_new_session=True,  # a Ctrl-C of the test run does not reach it
            )
        deadline = time.monotonic() + timeout
        while b"ready" not in log.read_bytes():
            if self._holder.poll() is not None or time.monotonic() > deadline:
                raise HostError(
                    f"host {self.name}: its namespaces did not come up "
                    f"(exit {self._holder.poll()}): {log.read_text(errors='replace').strip()}"
                )
            time.sleep(0.005)
        children = _children(self._holder.pid)
        while not children and time.monotonic() < deadline:
            time.sleep(0.005)
            children = _children(self._holder.pid)
        if len(children) != 1:
            raise HostError(f"host {self.name}: cannot find its PID 1 (children {children})")
        self.pid = children[0]

    def _start_sshd(self, timeout: float = 15) -> None:
        self.run([SSHD, "-E", "/run/sshd.log"], check=True)
        deadline = time.monotonic() + timeout
        while True:
            try:
                with socket.create_connection((self.address, 22), timeout=1) as sock:
                    if sock.recv(4).startswith(b"SSH-"):
                        return
            except OSError as exc:
                if time.monotonic() > deadline:
                    log = self.run("cat /run/sshd.log 2>/dev/null; ps -ef").stdout
                    raise HostError(
                        f"host {self.name}: sshd does not answer on {self.address}:22 "
                        f"({exc}); {log}"
                    ) from exc
                time.sleep(0.01)

    # using ---------------------------------------------------------------------------

    def enter_args(self) -> list[str]:
        """The command prefix that runs a program inside this host."""
        if self.pid is None or self.stopped:
            raise HostError(f"host {self.name} is not running")
        return ["nsenter", "-t", str(self.pid), "--net", "--uts", "--mount", "--pid"]

    def run(
        self,
        cmd: Command,
        *,
        check: bool = False,
        input: str | None = None,
        timeout: float = 120,
        env: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> subprocess.CompletedProcess[str]:
        """Run cmd inside the host as root, in /root, with a clean environment (HOST_ENV
        plus env). A string goes through /bin/sh -c. Output is captured as text unless
        stdout/stderr are given; a daemon must detach from both (sshd, nginx and
        supervisord do) or run() waits for it until timeout."""
        argv = ["/bin/sh", "-c", cmd] if isinstance(cmd, str) else list(cmd)
        kwargs.setdefault("stdout", subprocess.PIPE)
        kwargs.setdefault("stderr", subprocess.PIPE)
        if input is None:
            kwargs.setdefault("stdin", subprocess.DEVNULL)
        return subprocess.run(
            [*self.enter_args(), "--wd=/root", "--", *argv],
            check=check,
            input=input,
            timeout=timeout,
            text=True,
            env={**HOST_ENV, **(env or {})},
            **kwargs,
        )

    @property
    def ssh_args(self) -> list[str]:
        """``ssh`` as root into this host with the network's key: add the command."""
        return ["ssh", "-i", str(self.network.client_key), *SSH_OPTIONS, f"root@{self.address}"]

    def ssh(self, command: str, *, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run command in this host through ssh (as Ansible would reach it)."""
        return subprocess.run(
            [*self.ssh_args, command],
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    def inventory_vars(self) -> dict[str, Any]:
        """The Ansible host variables that reach this host."""
        return {
            "ansible_host": self.address,
            "ansible_port": 22,
            "ansible_connection": "ssh",
            "ansible_user": "root",
            "ansible_ssh_private_key_file": str(self.network.client_key),
            "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
            "ansible_python_interpreter": PYTHON,
        }

    def processes(self) -> list[int]:
        """PIDs (root namespace numbers) of every process in the host's network
        namespace: its PID 1 and everything started in it."""
        proc = _cmd(["ip", "netns", "pids", self.netns], check=False)
        return [int(p) for p in proc.stdout.split()] if proc.returncode == 0 else []

    # removing ------------------------------------------------------------------------

    def stop(self) -> None:
        """Kill every process of the host, delete its veth and namespaces, unmount its
        folders (they go with its mount namespace) and remove them. Idempotent."""
        if self.stopped:
            return
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)  # PID 1: the kernel kills the rest
        if self._holder is not None:
            try:
                self._holder.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._holder.kill()
                self._holder.wait(timeout=10)
        with _locked(self.network.base):
            _remove_host_parts(self.netns, self.dir)
        self.stopped = True
        if self in self.network.hosts:
            self.network.hosts.remove(self)

    def __enter__(self) -> TestHost:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- by hand ---------------------------------------------------------------------------


def main(argv: Sequence[str]) -> int:
    if argv == ["list"]:
        for folder in sorted(BASE.iterdir()) if BASE.is_dir() else []:
            if folder.is_dir():
                owner = (
                    (folder / "owner").read_text().split()[0]
                    if (folder / "owner").exists()
                    else "?"
                )
                state = "live" if _owner_alive(folder) else "leftover"
                print(f"{folder.name}\towner {owner}\t{state}")
        print("namespaces:", " ".join(n for n in _netns_names() if n.startswith(PREFIX)) or "-")
        print("bridge:", BRIDGE if BRIDGE in _links() else "-")
        return 0
    if argv == ["sweep"]:
        print("removed:", " ".join(sweep()) or "nothing")
        return 0
    print("usage: python -m tests.hosts.netns list|sweep", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
