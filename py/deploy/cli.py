"""interview-db: deploy the interview RPC package to PostgreSQL or Supabase.

Exit codes: 0 success; 1 failure (a clear message on stderr), or `doctor` found
a problem; 2 wrong usage.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click
import psycopg

from . import __version__
from .db import DeployError, connect, database_error, redact
from .demo import run_demo
from .disposable import deploy, deployed_local_database
from .doctor import diagnose
from .lint import lint_files
from .localdb import LocalPostgresError
from .migrations import migrate, rollback, status
from .openapi import generate as generate_openapi
from .project import RPC_NAME, Project, ProjectNotFound, find_project
from .seeds import SeedError, seed
from .supabase_export import DEFAULT_BASE, export_supabase

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
def _errors_as_messages(url: str | None = None, doing: str = "the command") -> Iterator[None]:
    """Errors the user can act on as one line on stderr (exit 1), never with the password of ``url``.

    A server error (a missing privilege, a lost connection) is one of them: it is
    the database's answer, not a bug of ours."""
    try:
        yield
    except (DeployError, SeedError, LocalPostgresError) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise click.ClickException(redact(message, url) if url else message) from None
    except psycopg.Error as exc:
        raise click.ClickException(str(database_error(exc, url or "", doing))) from None


def _terminate_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C, so a local cluster is stopped and removed."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


database_url_option = click.option(
    "--database-url", envvar="DATABASE_URL", required=True, metavar="URL", help=DATABASE_URL_HELP
)


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """--version: the tool's version and the schema version (newest migration) it deploys."""
    if not value or ctx.resilient_parsing:
        return
    try:
        project = find_project()
        schema = f"schema {project.schema_version or 'none'}, from the {project.describe()}"
    except ProjectNotFound as exc:
        schema = f"no schema: {exc}"
    click.echo(f"interview-db {__version__} ({schema})")
    ctx.exit()


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Show the version and the schema version it deploys, then exit.")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Deploy the job_interview_create_from_array RPC to PostgreSQL or Supabase.

    Two ways to deploy: `migrate` (and `seed`) straight into a database, or
    `export-supabase` to write Supabase CLI migrations for `supabase db push`.
    `doctor` checks a database and says what to run next.

    Every command that takes --database-url also reads $DATABASE_URL. Output is
    coloured only on a terminal (and never with NO_COLOR set); progress goes to
    stderr where --json keeps stdout for the JSON.

    \b
    Exit codes:
      0  success (doctor: healthy)
      1  failure, with one clear line on stderr (doctor: a problem found)
      2  wrong usage (an unknown option, a missing --database-url)

    \b
    Example:
      interview-db demo
      interview-db migrate --database-url "$SUPABASE_DB_URL"
      interview-db doctor --database-url "$SUPABASE_DB_URL"
    """
    if os.environ.get("NO_COLOR"):  # https://no-color.org
        ctx.color = False


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
    with _errors_as_messages(database_url, "migrate"):
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
        click.echo(f"  dropped function {signature} (no file in sql/functions defines it)")
    for repair in result.repaired:
        click.echo(f"  repaired drift: {repair}")
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
    with _errors_as_messages(database_url, "seed"), connect(database_url) as conn:
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
    with _errors_as_messages(database_url, "status"):
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
    click.echo(f"  deployed with {result.deployed_with}" if result.deployed_with else "  the package is not deployed here")
    click.echo("Migrations:")
    for m in result.migrations:
        if m.applied_at:
            state = f"applied {m.applied_at:%Y-%m-%d %H:%M:%S}"
        elif m.pushed_version:
            state = f"pushed as version {m.pushed_version}"
        else:
            state = "pending"
        if m.edited:
            state += ", EDITED since applied"
        if not m.file_present:
            state += ", file missing"
        click.echo(f"  {m.id:<40} {state}")
    if result.functions:
        click.echo("Function files:")
    for f in result.functions:
        click.echo(f"  {f.path:<60} {f.state}")
    if result.deployed_with:
        click.echo("Catalog (against the fingerprint recorded at deploy):")
        if not result.fingerprint:
            click.echo("  no fingerprint recorded (deployed by an older interview-db)")
        for difference in result.drift:
            click.echo(f"  DRIFT {difference}")
        if result.fingerprint and not result.drift:
            click.echo("  as deployed")


@main.command("rollback")
@database_url_option
@click.option("--count", default=1, show_default=True, type=click.IntRange(1),
              help="How many of the newest migrations to roll back.")
def rollback_command(database_url: str, count: int) -> None:
    """Roll back the newest applied migration(s).

    \b
    Example:
      interview-db rollback --database-url "$DATABASE_URL" --count 1
    """
    project = _project()
    with _errors_as_messages(database_url, "rollback"):
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


@main.command("doctor")
@database_url_option
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def doctor_command(database_url: str, as_json: bool) -> None:
    """Check a database and say what to run next; exit 0 when healthy, 1 otherwise.

    Checks that it is reachable, the server version, Supabase or plain PostgreSQL
    (with or without the local shim), pending or edited migrations and drifted
    function files (deployed with `migrate` or with `supabase db push`), the RPC's
    grants, the seed (languages and templates) and whether plpgsql_check (for
    `supabase db lint`) is available. Changes nothing.

    \b
    Example:
      interview-db doctor --database-url "$SUPABASE_DB_URL"
      interview-db doctor --json
    """
    project = _project()
    with _errors_as_messages(database_url, "doctor"):
        diagnosis = diagnose(database_url, project)
    if as_json:
        payload = asdict(diagnosis)
        payload["healthy"] = diagnosis.healthy
        payload["next_steps"] = diagnosis.next_steps
        _emit_json(payload)
    else:
        click.echo(f"Database {diagnosis.database}")
        for check in diagnosis.checks:
            label, colour = {True: ("ok", "green"), False: ("FAIL", "red"), None: ("info", None)}[check.ok]
            mark = click.style(f"{label:<5}", fg=colour, bold=check.ok is False)
            click.echo(f"  {mark} {check.name:<14} {check.summary}")
        if diagnosis.next_steps:
            click.echo("Next:")
            for step in diagnosis.next_steps:
                click.echo(f"  {step}")
        if diagnosis.healthy:
            click.secho("Healthy.", fg="green")
        else:
            problems = sum(check.ok is False for check in diagnosis.checks)
            click.secho(f"{problems} problem(s).", fg="red", err=True)
    if not diagnosis.healthy:
        click.get_current_context().exit(1)


@main.command("export-supabase")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--seed-file", type=click.Path(dir_okay=False, path_type=Path), metavar="PATH",
              help="Where to write seed.sql [default: beside DIRECTORY when it is named migrations, "
                   "as the CLI reads supabase/seed.sql; else DIRECTORY/seed.sql].")
@click.option("--base-timestamp", default=DEFAULT_BASE, show_default=True, metavar="YYYYMMDDHHMMSS",
              help="UTC time of the versions' base: migration NNNN is NNNN hours later. Choose it once, and keep it.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def export_supabase_command(directory: Path, seed_file: Path | None, base_timestamp: str, as_json: bool) -> None:
    """Write the package as Supabase CLI migrations, for `supabase db push`.

    One file per migration, then the function files as one file, then seed.sql;
    never the local shim. Versions come from --base-timestamp, not the clock: an
    unchanged tree gives byte-identical files. Export into the same directory
    every time: a change of the function files is added as a new revision.

    \b
    Example:
      interview-db export-supabase supabase/migrations --seed-file supabase/seed.sql
      supabase db push --db-url "$SUPABASE_DB_URL" --include-seed
    """
    project = _project()
    with _errors_as_messages(doing="export-supabase"):
        result = export_supabase(
            project, directory, base=base_timestamp, seed_path=seed_file, progress=_progress(to_stderr=as_json)
        )
    if as_json:
        _emit_json(asdict(result))
        return
    click.echo(f"{len(result.migrations)} migration file(s) of the package in {directory}, seed in {result.seed_file}")
    if not result.changed:
        click.secho("Nothing to do: the export is up to date.", fg="green")
    else:
        click.secho(f"Wrote {len(result.written)} file(s).", fg="green")
    click.echo("Next: supabase db push --db-url \"$SUPABASE_DB_URL\" --include-seed")


@main.command("openapi")
@click.option("--database-url", metavar="URL",
              help="Read the rules from this deployed database instead of a disposable local PostgreSQL.")
@click.option("--output", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path), default=Path("-"),
              metavar="PATH", help="Write the document to PATH [default: standard output].")
@click.option("--check", is_flag=True,
              help=f"Compare with the checked-in openapi/{RPC_NAME}.json; exit 1 when it differs.")
def openapi_command(database_url: str | None, output: Path, check: bool) -> None:
    """Generate the OpenAPI 3.1 document of POST /rpc/job_interview_create_from_array.

    The request schema comes from the rule table interview_private.request_field_rules(),
    read from a deployed database (by default a disposable local PostgreSQL that
    this command starts and migrates).

    \b
    Example:
      interview-db openapi --output openapi/job_interview_create_from_array.json
      interview-db openapi --check
    """
    _terminate_on_sigterm()
    project = _project()
    echo = _progress(to_stderr=True)
    with _errors_as_messages(database_url, "openapi"):
        if database_url:
            with connect(database_url) as conn:
                document = _openapi(conn, project)
        else:
            with deployed_local_database(project, echo, seeded=False) as pg, connect(pg.url()) as conn:
                document = _openapi(conn, project)
    if check:
        checked_in = project.openapi_file.read_text(encoding="utf-8") if project.openapi_file.exists() else ""
        if checked_in != document:
            raise click.ClickException(
                f"{project.openapi_file.relative_to(project.root)} is out of date: "
                f"run `interview-db openapi --output {project.openapi_file.relative_to(project.root)}`"
            )
        click.secho(f"{project.openapi_file.relative_to(project.root)} is up to date.", fg="green")
    elif str(output) == "-":
        click.echo(document, nl=False)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(document, encoding="utf-8")
        click.secho(f"Wrote {output}.", fg="green", err=True)


def _openapi(conn: Any, project: Project) -> str:
    try:
        return generate_openapi(conn, project)
    except LookupError as exc:
        raise click.ClickException(str(exc)) from exc


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
    with _errors_as_messages(database_url, "demo"):
        if database_url:
            deploy(database_url, project, echo)
            _demo(database_url, project, as_json)
            return
        with deployed_local_database(project, echo) as pg:
            _demo(pg.url(), project, as_json)


def _demo(url: str, project: Project, as_json: bool) -> None:
    with connect(url) as conn:
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
    click.secho(f"POST /rest/v1/rpc/{RPC_NAME}  (examples/create-interview.json)", bold=True)
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


@main.command("bench")
@click.option("--database-url", envvar="INTERVIEW_DB_BENCH_URL", metavar="URL",
              help="Measure on this (migrated, seeded) database instead of a disposable local PostgreSQL.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), metavar="PATH",
              help="Also write the figures as JSON to PATH.")
@click.option("--quick", is_flag=True, help="Tiny sizes, a few calls: checks that the benchmark runs, measures nothing.")
@click.option("--calls", type=click.IntRange(1), help="Calls per measured point (default 200).")
@click.option("--sizes", help="Question counts, comma-separated (default 1,10,50,200).")
@click.option("--scale-sets", type=click.IntRange(0), help="Interview sets to load for the scale test (default 100000; 0 skips it).")
@click.option("--clients", help="Concurrent clients, comma-separated (default 1,2,4,8).")
@click.option("--seconds", type=float, help="Seconds per concurrency point (default 10).")
@click.option("--verbose", is_flag=True, help="Print the plan of every statement one RPC call runs (scale test).")
def bench_command(database_url: str | None, json_path: Path | None, quick: bool, calls: int | None,
                  sizes: str | None, scale_sets: int | None, clients: str | None, seconds: float | None,
                  verbose: bool) -> None:
    """Measure the RPC against its floor, at scale and under concurrency.

    The floor is the same rows written by plain multi-row INSERTs in one
    transaction. Prints a table; --json writes the same figures.

    \b
    Example:
      interview-db bench --json bench.json
      interview-db bench --quick
    """
    from .bench import BenchOptions, format_table, run_bench

    _terminate_on_sigterm()
    options = BenchOptions.quick() if quick else BenchOptions()
    if calls:
        options.calls = calls
    if sizes:
        options.sizes = tuple(int(n) for n in sizes.split(","))
    if scale_sets is not None:
        options.scale_sets = scale_sets
    if clients:
        options.clients = tuple(int(n) for n in clients.split(","))
    if seconds:
        options.seconds = seconds
    options.verbose = verbose
    project = _project()
    echo = _progress(to_stderr=True)
    with _errors_as_messages(database_url, "bench"):
        if database_url:
            connect(database_url).close()  # one clear line when it is out of reach
            result = run_bench(database_url, database_url, options, echo)
        else:
            with deployed_local_database(project, echo) as pg:
                result = run_bench(pg.url(), pg.url(user="authenticator"), options, echo)
    click.echo(format_table(result))
    if verbose and result.scale:
        click.echo("\nPlans of one call on the loaded database:")
        click.echo("\n\n".join(result.scale.plans))
    if json_path:
        json_path.write_text(result.to_json() + "\n")
        click.echo(f"\nFigures written to {json_path}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
