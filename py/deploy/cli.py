"""interview-db: deploy the interview RPC package to PostgreSQL or Supabase.

Exit codes: 0 success; 1 failure (a clear message on stderr); 2 wrong usage.
"""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any

import click

from . import __version__
from .demo import run_demo
from .lint import lint_files
from .localdb import LocalPostgres, LocalPostgresError
from .migrations import MigrationError, connect, migrate, rollback, status
from .project import Project, ProjectNotFound, find_project
from .seeds import SeedError, seed

DATABASE_URL_HELP = "PostgreSQL URL, e.g. postgresql://postgres:pw@db.<ref>.supabase.co:5432/postgres (or $DATABASE_URL)."


def _project() -> Project:
    try:
        return find_project()
    except ProjectNotFound as exc:
        raise click.ClickException(str(exc)) from exc


def _progress(to_stderr: bool = False) -> Any:
    def report(message: str) -> None:
        click.secho(f"  {message}", dim=True, err=to_stderr)

    return report


def _emit_json(payload: Any) -> None:
    click.echo(json.dumps(payload, indent=2, default=str))


@contextmanager
def _errors_as_messages() -> Iterator[None]:
    try:
        yield
    except (MigrationError, SeedError, LocalPostgresError) as exc:
        raise click.ClickException(str(exc)) from exc


def _terminate_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C, so a local cluster is stopped and removed."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


database_url_option = click.option(
    "--database-url", envvar="DATABASE_URL", required=True, metavar="URL", help=DATABASE_URL_HELP
)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="interview-db")
def main() -> None:
    """Deploy the job_interview_create_from_array RPC to PostgreSQL or Supabase.

    \b
    Example:
      interview-db demo
      interview-db migrate --database-url "$SUPABASE_DB_URL"
    """


@main.command("migrate")
@database_url_option
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def migrate_command(database_url: str, as_json: bool) -> None:
    """Apply the shim (plain PostgreSQL only), pending migrations and changed function files.

    \b
    Example:
      interview-db migrate --database-url postgresql://postgres@127.0.0.1:5432/app
    """
    project = _project()
    with _errors_as_messages():
        result = migrate(database_url, project, progress=_progress(to_stderr=as_json))
    if as_json:
        _emit_json(asdict(result))
        return
    click.echo(f"Database {result.database}: " + ("Supabase" if result.supabase else "plain PostgreSQL"))
    if result.shim_applied:
        click.echo(f"  Supabase shim applied ({result.pgcrypto})")
    if result.broke_stale_lock:
        click.echo(f"  {result.broke_stale_lock}")
    for mid in result.migrations_applied:
        click.echo(f"  applied migration {mid}")
    for mid in result.checksums_recorded:
        click.echo(f"  recorded checksum of migration {mid} (applied before checksums were kept)")
    for name in result.functions_applied:
        click.echo(f"  applied function file {name}")
    for signature in result.functions_dropped:
        click.echo(f"  dropped function {signature} (no longer defined)")
    if not result.changed:
        click.secho("Nothing to do: the database is up to date.", fg="green")
    else:
        click.secho("Done.", fg="green")


@main.command("seed")
@database_url_option
def seed_command(database_url: str) -> None:
    """Upsert reference data (platform languages, templates) from sql/seeds/.

    \b
    Example:
      interview-db seed --database-url "$DATABASE_URL"
    """
    project = _project()
    with _errors_as_messages(), connect(database_url) as conn:
        result = seed(conn, project)
    for table, count in result.written.items():
        click.echo(f"  {table}: {count} row(s) written")
    for table, count in result.deleted.items():
        if count:
            click.echo(f"  {table}: {count} row(s) deleted")
    click.secho("Seed data already up to date." if not result.changed else "Done.", fg="green")


@main.command("status")
@database_url_option
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def status_command(database_url: str, as_json: bool) -> None:
    """List applied and pending migrations and the state of each function file.

    \b
    Example:
      interview-db status --database-url "$DATABASE_URL" --json
    """
    project = _project()
    with _errors_as_messages():
        result = status(database_url, project)
    if as_json:
        payload = asdict(result)
        payload["pending_migrations"] = result.pending_migrations
        payload["edited_migrations"] = result.edited_migrations
        payload["drifted_functions"] = result.drifted_functions
        _emit_json(payload)
        return
    kind = "Supabase" if result.supabase else ("plain PostgreSQL with the local shim" if result.shim else "plain PostgreSQL")
    click.echo(f"Database {result.database}: {kind}")
    click.echo("Migrations:")
    for m in result.migrations:
        state = f"applied {m.applied_at:%Y-%m-%d %H:%M:%S}" if m.applied_at else "pending"
        if m.edited:
            state += ", EDITED since applied"
        if not m.file_present:
            state += ", file missing"
        click.echo(f"  {m.id:<40} {state}")
    click.echo("Function files:")
    for f in result.functions:
        click.echo(f"  {f.path:<60} {f.state}")


@main.command("rollback")
@database_url_option
@click.option("--count", default=1, show_default=True, help="How many of the newest migrations to roll back.")
def rollback_command(database_url: str, count: int) -> None:
    """Roll back the newest applied migration(s).

    \b
    Example:
      interview-db rollback --database-url "$DATABASE_URL" --count 1
    """
    project = _project()
    with _errors_as_messages():
        done = rollback(database_url, project, count=count, progress=_progress())
    for mid in done:
        click.echo(f"  rolled back {mid}")
    click.secho("Done.", fg="green")


@main.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=True, path_type=None))
def lint_command(paths: tuple[str, ...]) -> None:
    """Check SQL files with PostgreSQL's parser (pglast); default: the whole package.

    Fails on a file that does not parse, a function without a stated volatility,
    a SECURITY DEFINER function without `set search_path = ''`, and a table in
    an exposed schema without row level security.

    \b
    Example:
      interview-db lint
      interview-db lint sql/functions/my_function.sql
    """
    from pathlib import Path

    project = _project()
    if paths:
        files: list[Path] = []
        for p in map(Path, paths):
            files += sorted(p.rglob("*.sql")) if p.is_dir() else [p]
    else:
        files = project.sql_files()
    violations = lint_files(files, project.exposed_schemas(), root=project.root)
    for v in violations:
        click.echo(str(v))
    if violations:
        raise click.ClickException(f"{len(violations)} problem(s) in {len(files)} file(s)")
    click.secho(f"{len(files)} file(s) checked, no problems.", fg="green")


@main.command("demo")
@click.option("--database-url", envvar="INTERVIEW_DB_DEMO_URL", metavar="URL",
              help="Run against this database instead of a disposable local PostgreSQL.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def demo_command(database_url: str | None, as_json: bool) -> None:
    """Start a local PostgreSQL, deploy everything and create an interview through the RPC.

    \b
    Example:
      interview-db demo
    """
    _terminate_on_sigterm()
    project = _project()
    echo = _progress(to_stderr=as_json)
    with _errors_as_messages():
        if database_url:
            _demo(database_url, project, as_json, echo)
            return
        echo("starting a disposable local PostgreSQL")
        with LocalPostgres() as pg:
            echo(f"started {pg.describe()}")
            _demo(pg.url(), project, as_json, echo)
        echo("local PostgreSQL stopped and removed")


def _demo(url: str, project: Project, as_json: bool, echo: Any) -> None:
    result = migrate(url, project, progress=echo)
    echo(f"migrated: {len(result.migrations_applied)} migration(s), {len(result.functions_applied)} function file(s)")
    with connect(url) as conn:
        seeded = seed(conn, project)
        echo(f"seeded: {sum(seeded.written.values())} reference row(s)")
        demo = run_demo(conn, project)
    if as_json:
        _emit_json(asdict(demo))
    else:
        _print_demo(demo)
    if not demo.created.ok:
        raise click.ClickException(f"the RPC call failed with HTTP {demo.created.status}")


def _print_demo(demo: Any) -> None:
    click.echo(f"Demo merchant {demo.merchant_id}, owner {demo.user_id}")
    click.echo("")
    click.secho("POST /rest/v1/rpc/job_interview_create_from_array  (examples/create-interview.json)", bold=True)
    click.secho(f"HTTP {demo.created.status}", fg="green" if demo.created.ok else "red")
    click.echo(json.dumps(demo.created.body, indent=2))
    if demo.steps:
        click.echo("")
        click.echo(f"  {'pos':>3}  {'kind':<20} text")
        for step in demo.steps:
            text = step.text if len(step.text) <= 70 else step.text[:67] + "..."
            click.echo(f"  {step.position:>3}  {step.kind:<20} {text}")
    if demo.rejected is not None:
        click.echo("")
        click.secho("The same call with a question of 5 seconds:", bold=True)
        click.secho(f"HTTP {demo.rejected.status}", fg="yellow")
        click.echo(json.dumps(demo.rejected.body, indent=2))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
