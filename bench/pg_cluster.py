"""A throwaway PostgreSQL cluster from Debian's ``postgresql`` package (tests and benches).

``PgCluster().start()`` runs ``initdb`` (trust auth, superuser ``rehab``) and
``pg_ctl start`` on a free loopback port with its socket in its own folder; ``url(db)`` gives
``postgresql://rehab@127.0.0.1:PORT/db``; ``create_database()`` a fresh empty database;
``stop()`` an immediate shutdown. Debian's binaries live in ``/usr/lib/postgresql/15/bin``
and refuse to run as root, so as root the cluster runs as user ``postgres`` in a folder it
owns. Nothing here is for production: no password, fsync on (the bench measures real
commits).
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")
INSTALL_HINT = ("PostgreSQL 15 not installed: run `make test` (scripts/system-deps.sh test) "
                "or `apt-get install -y postgresql`")
SUPERUSER = "rehab"


class PgMissing(RuntimeError):
    """Debian's postgresql package is not installed (the message says how to install it)."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _bin(name: str) -> str:
    path = PG_BIN / name
    if not path.exists():
        raise PgMissing(INSTALL_HINT)
    return str(path)


class PgCluster:
    """``PgCluster()`` makes its own folder (``tempfile.mkdtemp`` under the system temp
    folder, which the postgres user can traverse; pytest's 0700 temp folders are not, and
    pytest resets their mode while another session runs); ``stop()`` removes it."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="rehab-pg-"))
        self.data = self.dir / "db"
        self.port = _free_port()
        self._names = itertools.count(1)
        self._as: list[str] = []

    def _run(self, *cmd: str) -> None:
        out = subprocess.run([*self._as, *cmd], capture_output=True, text=True, timeout=120,
                             check=False)
        if out.returncode != 0:
            raise RuntimeError(f"{Path(cmd[0]).name} failed ({out.returncode}): "
                               f"{(out.stderr or out.stdout).strip()[-800:]}")

    def start(self) -> PgCluster:
        initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
        if os.geteuid() == 0:  # initdb/postgres refuse root: run as postgres in its own dir
            shutil.chown(self.dir, "postgres", "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]
        self._run(initdb, "-D", str(self.data), "-A", "trust", "-U", SUPERUSER,
                  "--no-sync", "-E", "UTF8", "--locale", "C")
        self._run(pg_ctl, "-D", str(self.data), "-l", str(self.dir / "server.log"), "-o",
                  f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                  "-c max_connections=200", "-w", "-t", "60", "start")
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database; returns its ``postgresql://`` URL."""
        import psycopg

        name = f"t{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        if self.data.exists():
            subprocess.run([*self._as, _bin("pg_ctl"), "-D", str(self.data), "-m", "immediate",
                            "-w", "stop"], capture_output=True, timeout=60, check=False)
        shutil.rmtree(self.dir, ignore_errors=True)
