"""A private, throw-away PostgreSQL cluster for the store tests (a real server, no mock), and the ``store_url``
fixture that runs the same test against SQLite and PostgreSQL.

The cluster lives in a temporary folder, listens on a free loopback port and a private unix socket, and is stopped
and deleted after the session. PostgreSQL's ``initdb`` refuses to run as root, so as root the server runs as the
``postgres`` user (``runuser``). ``.ci/run`` installs Debian's ``postgresql`` package, so these tests never skip.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class PgCluster:
    """A running throw-away cluster: its binaries, data folder, port and an admin URL."""

    bindir: Path
    data: Path
    port: int
    as_user: list[str]

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, dbname: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def ctl(self, *args: str) -> None:
        _run([*self.as_user, str(self.bindir / "pg_ctl"), "-D", str(self.data), *args], self.data.parent)

    def start(self) -> None:
        opts = (f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c shared_buffers=16MB -c max_connections=40")
        self.ctl("-o", opts, "-l", str(self.data / "server.log"), "-w", "-t", "60", "start")


def _run(cmd: list[str], cwd: Path) -> None:
    """Run a PostgreSQL tool; on failure raise with its own message. ``cwd``: the cluster's folder, since the
    postgres user may not be allowed into the checkout (e.g. under /root)."""
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=cwd)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}): {(done.stderr or done.stdout)[-2000:]}")


def _bindir() -> Path | None:
    found = shutil.which("pg_config")
    if found:
        out = subprocess.run([found, "--bindir"], capture_output=True, text=True).stdout.strip()
        if out and (Path(out) / "initdb").exists():
            return Path(out)
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[-2]))
    return Path(dirs[-1]) if dirs and Path(dirs[-1], "initdb").exists() else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def pg_cluster():
    bindir = _bindir()
    if bindir is None:
        pytest.fail("PostgreSQL server binaries not found: install the Debian package `postgresql` "
                    "(.ci/run does)")
    root = Path(tempfile.mkdtemp(prefix="etiquette-pg-"))
    data = root / "data"
    as_user: list[str] = []
    if os.geteuid() == 0:   # initdb refuses root: run the cluster as the postgres user
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, "postgres", "postgres")
    _run([*as_user, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
          "--locale=C", "--no-sync"], root)
    cluster = PgCluster(bindir, data, _free_port(), as_user)
    cluster.start()
    try:
        yield cluster
    finally:
        try:
            cluster.ctl("-m", "immediate", "-w", "stop")
        except RuntimeError:
            pass   # already stopped
        shutil.rmtree(root, ignore_errors=True)


_db_numbers = itertools.count()


@pytest.fixture
def pg_url(pg_cluster) -> str:
    """The URL of a fresh, empty database on the session's cluster."""
    import psycopg

    name = f"t{os.getpid()}_{next(_db_numbers)}"
    with psycopg.connect(pg_cluster.admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return pg_cluster.url(name)


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request, tmp_path) -> str:
    """A fresh store's address: a SQLite file, or a database on the test PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "s" / "branch.db")
    return request.getfixturevalue("pg_url")
