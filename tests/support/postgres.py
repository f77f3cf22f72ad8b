"""A throwaway local PostgreSQL for the tests and the benchmark (docs/POSTGRESQL.md, "Tests").

`LocalCluster.start()` runs `initdb` in a fresh temporary directory, starts `postgres` on 127.0.0.1 on a
free port (Unix socket in the same directory, trust authentication: nothing but this machine's loopback can
reach it), and `stop()` shuts it down and removes the directory. `initdb` refuses to run as root, so when we
are root the cluster belongs to an unprivileged OS user (`SHEQU_PG_OS_USER`, default `postgres`, else
`nobody`) and every PostgreSQL binary runs through `runuser`.

`Server` is what the tests use: the local cluster, or an existing server named by `SHEQU_TEST_PG_URL` (its
role must be allowed to create databases; the role test also needs CREATEROLE). It creates and drops
uniquely named databases, optionally from a template (`CREATE DATABASE x TEMPLATE tpl`: a copy of a
migrated database in tens of milliseconds).

Binaries: `SHEQU_PG_BIN` (a directory), else `pg_config --bindir` on PATH, else the newest
`/usr/lib/postgresql/*/bin`, else `initdb` on PATH. `find_bindir()` returns None when there are none; the test
fixtures turn that into a failure on CI (`CI` set) and a visible skip elsewhere.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

ENV_URL = "SHEQU_TEST_PG_URL"
ENV_BIN = "SHEQU_PG_BIN"
ENV_OS_USER = "SHEQU_PG_OS_USER"

# A throwaway test cluster need not survive a power cut: no fsync, no synchronous commit. The benchmark asks
# for `durable=True` (the server defaults: fsync on, synchronous_commit on, full_page_writes on).
FAST_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
COMMON_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "200",
    "shared_buffers": "128MB",
    "log_min_messages": "warning",
    "log_min_error_statement": "panic",  # expected errors (conflicts, refused grants) would flood the log
    "timezone": "'UTC'",
    "max_locks_per_transaction": "128",
}


def find_bindir() -> Path | None:
    """The directory holding initdb/pg_ctl/postgres, or None when PostgreSQL is not installed."""
    if os.environ.get(ENV_BIN):
        path = Path(os.environ[ENV_BIN])
        return path if (path / "initdb").exists() else None
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                             check=False).stdout.strip()
        if out and (Path(out) / "initdb").exists():
            return Path(out)
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                        key=lambda p: int(re.sub(r"\D", "", p.parent.parent.name) or 0))
    if candidates:
        return candidates[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _os_user() -> pwd.struct_passwd | None:
    """The unprivileged user that owns the cluster when we are root (None: run as ourselves)."""
    if os.geteuid() != 0:
        return None
    wanted = os.environ.get(ENV_OS_USER)
    for name in ([wanted] if wanted else ["postgres", "nobody"]):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise RuntimeError(f"running as root and no OS user {wanted or 'postgres/nobody'} to own the cluster")


@dataclass
class LocalCluster:
    """initdb + postgres in a temporary directory; `stop()` removes everything."""

    bindir: Path
    durable: bool = False
    settings: dict[str, str] = field(default_factory=dict)
    root: Path | None = None
    port: int = 0
    _user: pwd.struct_passwd | None = None

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _cmd(self, *argv: str | Path) -> list[str]:
        args = [str(a) for a in argv]
        if self._user is None:
            return args
        return ["runuser", "-u", self._user.pw_name, "--", *args]

    def _run(self, *argv: str | Path) -> None:
        result = subprocess.run(self._cmd(*argv), capture_output=True, text=True, check=False,
                                cwd=self.root)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(map(str, argv))} failed ({result.returncode}):\n"
                               f"{result.stdout}\n{result.stderr}\n{self._log_tail()}")

    def _log_tail(self) -> str:
        log = self.root / "postgres.log" if self.root else None
        return log.read_text(errors="replace")[-3000:] if log and log.exists() else ""

    def start(self) -> LocalCluster:
        self._user = _os_user()
        # A test cluster lives in memory where it can (a slow disk makes each CREATE DATABASE take 0.2-0.5 s
        # instead of ~15 ms); a durable one (the benchmark) on disk.
        shm = Path("/dev/shm")
        in_memory = not self.durable and shm.is_dir() and os.access(shm, os.W_OK)
        self.root = Path(tempfile.mkdtemp(prefix="shequ-pg-", dir=shm if in_memory else None))
        if self._user is not None:
            os.chown(self.root, self._user.pw_uid, self._user.pw_gid)
        data = self.root / "data"
        try:
            self._run(self.bindir / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                      "--locale=C", "--no-sync", "--no-instructions")
            conf = {**COMMON_SETTINGS, **({} if self.durable else FAST_SETTINGS), **self.settings,
                    "unix_socket_directories": f"'{self.root}'"}
            with (data / "postgresql.conf").open("a") as f:
                f.writelines(f"{k} = {v}\n" for k, v in conf.items())
            for attempt in itertools.count(1):  # the free port may be taken between probe and bind
                self.port = free_port()
                try:
                    self._run(self.bindir / "pg_ctl", "-D", data, "-l", self.root / "postgres.log", "-w",
                              "-t", "60", "-o", f"-p {self.port}", "start")
                    break
                except RuntimeError:
                    if attempt >= 3:
                        raise
            return self
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        if self.root is None:
            return
        data = self.root / "data"
        if (data / "postmaster.pid").exists():
            subprocess.run(self._cmd(self.bindir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"),
                           capture_output=True, check=False, cwd=self.root)
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None


def _split(url: str) -> tuple[str, str]:
    """(SQLAlchemy URL without the database, database name)."""
    base, _, dbname = url.rpartition("/")
    return base, dbname.split("?", 1)[0]


def conninfo(url: str) -> str:
    """A libpq URL for psycopg from a SQLAlchemy one (drops the `+psycopg` driver part)."""
    return re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql://", url)


@dataclass
class Server:
    """Where the PostgreSQL tests run: create and drop databases on it."""

    url: str  # SQLAlchemy URL of a database we may connect to for CREATE/DROP DATABASE
    cluster: LocalCluster | None = None
    prefix: str = field(default_factory=lambda: f"shequ_t{os.getpid()}_")
    _counter: Iterator[int] = field(default_factory=itertools.count)
    _created: list[str] = field(default_factory=list)
    _roles: list[str] = field(default_factory=list)

    @classmethod
    def start(cls, bindir: Path | None = None, *, env: str = ENV_URL, durable: bool = False) -> Server:
        """The server of `$env` (default `SHEQU_TEST_PG_URL`), else a new local cluster (`durable`: on disk
        with the server's default fsync/synchronous_commit); raises FileNotFoundError without PostgreSQL."""
        external = os.environ.get(env)
        if external:
            url = external if "+" in external.split("://", 1)[0] else \
                re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", external)
            return cls(url)
        bindir = bindir or find_bindir()
        if bindir is None:
            raise FileNotFoundError("PostgreSQL binaries not found (set SHEQU_PG_BIN or SHEQU_TEST_PG_URL)")
        cluster = LocalCluster(bindir, durable=durable).start()
        return cls(cluster.url, cluster)

    def admin(self) -> psycopg.Connection[Any]:
        return psycopg.connect(conninfo(self.url), autocommit=True)

    def url_of(self, dbname: str) -> str:
        return f"{_split(self.url)[0]}/{dbname}"

    def new_name(self, label: str = "db") -> str:
        return f"{self.prefix}{label}_{next(self._counter)}"

    def create(self, label: str = "db", template: str | None = None) -> str:
        """A new database (a copy of `template` if given); returns its SQLAlchemy URL."""
        name = self.new_name(label)
        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            query = sql.SQL("{} TEMPLATE {}").format(query, sql.Identifier(template))
        with self.admin() as conn:
            if template and conn.info.server_version >= 150000:
                # PostgreSQL 15's default (WAL_LOG) writes the template's 8 MB through the WAL: ~0.4 s a copy
                # on a small machine; FILE_COPY (the strategy of earlier versions) takes ~0.09 s.
                query = sql.SQL("{} STRATEGY FILE_COPY").format(query)
            for attempt in itertools.count(1):
                try:
                    conn.execute(query)
                    break
                except psycopg.errors.ObjectInUse:  # a template still has a session closing
                    if attempt >= 50:
                        raise
                    time.sleep(0.1)
        self._created.append(name)
        return self.url_of(name)

    def drop(self, url_or_name: str) -> None:
        name = _split(url_or_name)[1] if "/" in url_or_name else url_or_name
        with self.admin() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        with contextlib.suppress(ValueError):
            self._created.remove(name)

    def forget_roles_later(self, *names: str) -> None:
        """Roles belong to the whole server: drop these at `close()`, after the databases that use them."""
        self._roles.extend(names)

    def close(self) -> None:
        """Drop what this session created (on an external server), stop a local cluster."""
        if self.cluster is None:
            with contextlib.suppress(psycopg.Error):
                for name in list(self._created):
                    self.drop(name)
                with self.admin() as conn:
                    for role in self._roles:
                        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
        else:
            self.cluster.stop()
