"""A disposable deployed database: a local PostgreSQL started for one command,
migrated and seeded, stopped and removed afterwards (demo, openapi, bench)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from .db import connect
from .localdb import LocalPostgres
from .migrations import migrate
from .project import Project
from .seeds import seed

Progress = Callable[[str], None]


def deploy(url: str, project: Project, progress: Progress, *, seeded: bool = True) -> None:
    """Migrate (and seed) the database at ``url``, saying what was done."""
    result = migrate(url, project, progress=progress)
    progress(f"migrated: {len(result.migrations_applied)} migration(s), {len(result.functions_applied)} function file(s)")
    if seeded:
        with connect(url) as conn:
            written = seed(conn, project)
        progress(f"seeded: {sum(written.written.values())} reference row(s)")


@contextmanager
def deployed_local_database(
    project: Project, progress: Progress, *, seeded: bool = True, settings: dict[str, str] | None = None
) -> Iterator[LocalPostgres]:
    """A local PostgreSQL (with extra server ``settings``) with the package deployed (and seeded),
    for the duration of the block."""
    progress("starting a disposable local PostgreSQL")
    with LocalPostgres(settings=settings) as pg:
        progress(f"started {pg.describe()}")
        deploy(pg.url(), project, progress, seeded=seeded)
        yield pg
    progress("local PostgreSQL stopped and removed")
