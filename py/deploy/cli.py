"""interview-db: deploy the interview RPC package to PostgreSQL or Supabase.

Exit codes: 0 success; 1 failure (a clear message on stderr), or `doctor` found
a problem; 2 wrong usage.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click
import psycopg

from . import __version__
from .db import DeployError, connect, database_error, redact
from .demo import DemoResult, run_demo
from .disposable import deploy, deployed_local_database
from .doctor import diagnose
from .lint import lint_files
from .localdb import LocalPostgresError
from .migrations import LockPolicy, RollbackResult, UpgradePlan, migrate, plan, rollback, status
from .onboarding import ROLES, OnboardingError, add_member, add_merchant, list_members, list_merchants
from .field_rules import read_rules
from .generated_files import generate_all
from .generated_files import out_of_date as generated_out_of_date
from .openapi import generate as generate_openapi
from .project import RPC_NAME, Project, ProjectNotFound, find_project
from .quick_check import FILE_NAME as QUICK_CHECK_FILE
from .quick_check import generate as generate_quick_check
from .quick_check import path as quick_check_path
from .seeds import SeedError, seed
from .supabase_export import DEFAULT_BASE, export_supabase
from .typescript import TYPES_PATH, TypeScriptError, out_of_date
from .typescript import generate as generate_typescript

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
    except (DeployError, SeedError, LocalPostgresError, OnboardingError) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise _failure(redact(message, url) if url else message, getattr(exc, "applied", None)) from None
    except psycopg.Error as exc:
        raise click.ClickException(str(database_error(exc, url or "", doing))) from None
    except OSError as exc:  # an unwritable or missing path
        where = f" {exc.filename}" if exc.filename else ""
        raise click.ClickException(f"{doing} failed:{where}: {exc.strerror or exc}") from None


def _failure(message: str, applied: list[str] | None = None) -> click.ClickException:
    """A failure of one line; ``applied`` (what was committed before it) goes into the --json error object."""
    failure = click.ClickException(message)
    failure.applied = list(applied) if applied else None  # type: ignore[attr-defined]
    return failure


def _write(path: Path, text: str) -> None:
    """Write a generated file, or fail in one line (an unwritable path, a full disk)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror or exc}") from None


class _Command(click.Command):
    """A command whose failures, with --json, are also a JSON object on stdout:
    {"error": message, "applied": [what was committed before the failure]}; a command
    that commits in one transaction, or writes nothing, has "applied": []."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.ClickException as exc:
            if ctx.params.get("as_json") is True:
                payload: dict[str, Any] = {"error": exc.format_message(),
                                           "applied": list(getattr(exc, "applied", None) or [])}
                click.echo(json.dumps(payload, indent=2))
            raise


class _Interrupted(click.ClickException):
    exit_code = 130


class _Group(click.Group):
    """The command line's conventions, whatever the command: usage errors exit 2;
    Ctrl-C (SIGINT), or SIGTERM where a command turns it into one, is one line and
    exit 130, never click's "Aborted!" with exit 1."""

    command_class = _Command
    group_class = type  # sub-groups (merchant, member) follow the same conventions

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise _Interrupted("interrupted; stopped before finishing (what was not committed was rolled back)") \
                from None

    def main(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        standalone = kwargs.pop("standalone_mode", True)
        if not standalone:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except click.ClickException as exc:  # usage errors (2) included
            exc.show()
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo("Error: interrupted", err=True)
            sys.exit(130)
        sys.exit(code if isinstance(code, int) else 0)


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


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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
      1  failure, with one clear line on stderr (doctor: a problem found);
         with --json also {"error": ..., "applied": [...]} on stdout
      2  wrong usage (an unknown option, a missing --database-url)
      130  interrupted (Ctrl-C)

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
@click.option("--plan", "plan_only", is_flag=True, help="Print what it would apply, in order, and change nothing.")
@click.option("--verbose", is_flag=True, help="Also name every migration and function file as it is applied.")
@click.option("--lock-timeout", type=click.FloatRange(0.001), default=LockPolicy.timeout, show_default=True,
              metavar="SECONDS", help="Longest wait for one lock; the upgrade then rolls back and tries again.")
@click.option("--lock-attempts", type=click.IntRange(1), default=LockPolicy.attempts, show_default=True,
              help="How many times the upgrade's transaction is tried when a lock is not granted in time.")
def migrate_command(database_url: str, as_json: bool, plan_only: bool, verbose: bool, lock_timeout: float,
                    lock_attempts: int) -> None:
    """Apply the shim (plain PostgreSQL only), pending migrations and changed function files.

    Every pending migration and every changed function file are applied in one
    transaction: other sessions see the old release or the new one, never a mix,
    and a failure (or a killed migrate) leaves the old release as it was.

    \b
    Example:
      interview-db migrate --database-url postgresql://postgres@127.0.0.1:5432/app --plan
      interview-db migrate --database-url postgresql://postgres@127.0.0.1:5432/app
    """
    project = _project()
    if plan_only:
        with _errors_as_messages(database_url, "migrate --plan"):
            planned = plan(database_url, project)
        _print_plan(planned, as_json)
        return
    policy = LockPolicy(timeout=lock_timeout, attempts=lock_attempts)
    with _errors_as_messages(database_url, "migrate"):
        result = migrate(database_url, project, progress=_migrate_progress(as_json, verbose), policy=policy)
    if as_json:
        _emit_json(asdict(result))
        return
    click.echo(f"Database {result.database}: " + ("Supabase" if result.supabase else "plain PostgreSQL"))
    if result.shim_applied:
        click.echo(f"  Supabase shim applied ({result.pgcrypto})")
    if result.broke_stale_lock:
        click.echo(f"  {result.broke_stale_lock}")
    if result.gated:
        click.echo(f"  gated {len(result.gated)} public function(s) of the deployed release first (same behaviour)")
    if result.migrations_applied:
        click.echo(f"  applied {len(result.migrations_applied)} migration(s), up to {result.migrations_applied[-1]}")
    for mid in result.checksums_recorded:
        click.echo(f"  recorded checksum of migration {mid} (applied before checksums were kept)")
    if result.types_applied:
        click.echo(f"  created again {len(result.types_applied)} type file(s) of sql/types, with the functions using them")
    if result.functions_applied:
        click.echo(f"  applied {len(result.functions_applied)} function file(s)")
    for signature in result.functions_dropped:
        click.echo(f"  dropped function {signature} (no file in sql/functions defines it)")
    for signature in result.functions_left:
        click.echo(f"  kept function {signature} until the next migrate (older transactions still ran)")
    for repair in result.repaired:
        click.echo(f"  repaired drift: {repair}")
    for item in result.left_alone:
        click.secho(f"  left alone (not the package's; review it): {item}", fg="yellow")
    if not result.changed:
        click.secho("Nothing to do: the database is up to date.", fg="green")
    else:
        click.secho("Done.", fg="green")


def _migrate_progress(to_stderr: bool, verbose: bool) -> Any:
    """One line per phase; every file applied only with --verbose."""
    report = _progress(to_stderr)

    def phase(message: str) -> None:
        if verbose or not message.startswith(("applying ", "dropping ", "rolling back ")):
            report(message)

    return phase


def _print_plan(planned: UpgradePlan, as_json: bool) -> None:
    if as_json:
        _emit_json({**asdict(planned), "nothing_to_do": planned.nothing_to_do})
        return
    click.echo(f"Database {planned.database}: " + ("Supabase" if planned.supabase else "plain PostgreSQL"))
    if planned.nothing_to_do:
        click.secho("Nothing to do: the database is up to date.", fg="green")
        return
    step = 0
    if planned.shim:
        step += 1
        click.echo(f"{step}. apply the Supabase shim (plain PostgreSQL)")
    step += 1
    click.echo(f"{step}. in one transaction:")
    for repair in planned.repairs:
        click.echo(f"     repair {repair}")
    for mid in planned.migrations:
        click.echo(f"     migration {mid}")
    for f in planned.type_files:
        click.echo(f"     type file {f['path']} ({f['state']}): dropped and created again")
    for f in planned.function_files:
        click.echo(f"     function file {f['path']} ({f['state']})")
    if planned.drop_after_commit:
        step += 1
        click.echo(f"{step}. once every transaction older than the commit has ended, drop:")
        for signature in planned.drop_after_commit:
            click.echo(f"     {signature}")
    click.echo("Nothing was changed (--plan).")


@main.command("seed")
@database_url_option
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def seed_command(database_url: str, as_json: bool) -> None:
    """Upsert reference data (platform languages, templates) from sql/seeds/.

    \b
    Example:
      interview-db seed --database-url "$DATABASE_URL"
    """
    project = _project()
    with _errors_as_messages(database_url, "seed"), connect(database_url) as conn:
        result = seed(conn, project)
    if as_json:
        _emit_json({"written": result.written, "deleted": result.deleted, "changed": result.changed})
        return
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
    if result.types:
        click.echo("Type files:")
    for f in result.types:
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
@click.option("--yes", is_flag=True, help="Do it (without it: print the plan and change nothing).")
@click.option("--allow-data-loss", is_flag=True, help="Also drop tables that hold rows.")
@click.option("--functions-from", type=click.Path(file_okay=False, exists=True, path_type=Path), metavar="DIR",
              help="A tree (sql/) of the release it goes back to, when git history is not at hand.")
@click.option("--keep-functions", is_flag=True,
              help="Leave today's functions deployed (they may call what the rollback removes).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (an error too); the plan goes to stderr.")
def rollback_command(database_url: str, count: int, yes: bool, allow_data_loss: bool,
                     functions_from: Path | None, keep_functions: bool, as_json: bool) -> None:
    """Roll back the newest applied migration(s), in one transaction.

    Prints the plan and the rows of every table it would drop; changes nothing
    without --yes, and drops no table holding rows without --allow-data-loss.

    \b
    Example:
      interview-db rollback --database-url "$DATABASE_URL" --count 1
      interview-db rollback --database-url "$DATABASE_URL" --count 1 --yes
    """
    project = _project()

    def show(planned: RollbackResult) -> None:
        lines = [f"Plan: roll back {len(planned.migrations)} migration(s), newest first, in one transaction:"]
        lines += [f"  {mid}" for mid in planned.migrations]
        lines += [f"  drops table {table}: {rows} row(s)" for table, rows in planned.tables.items()]
        lines.append(f"  then deploys the function files of schema {planned.target or 'none'} "
                     f"(from {planned.functions_from})")
        click.echo("\n".join(lines), err=as_json)

    with _errors_as_messages(database_url, "rollback"):
        done = rollback(database_url, project, count=count, progress=_migrate_progress(as_json, False), yes=yes,
                        allow_data_loss=allow_data_loss, on_plan=show, functions_from=functions_from,
                        keep_functions=keep_functions)
    if as_json:
        _emit_json(asdict(done))
        return
    lost = sum(done.tables.values())
    click.secho(f"Rolled back {len(done.rolled_back)} migration(s) ({', '.join(done.rolled_back)}) to schema "
                f"{done.target or 'none'}; dropped {len(done.tables)} table(s) holding {lost} row(s); applied "
                f"{len(done.functions_applied)} function file(s) of that release, dropped "
                f"{len(done.functions_dropped)} function(s) it does not define"
                + (f", {len(done.functions_left)} left for the next migrate" if done.functions_left else "") + ".",
                fg="green")


@main.group("merchant")
def merchant_group() -> None:
    """Merchants (tenants), as the operator over the direct connection.

    \b
    Example:
      interview-db merchant add "Acme Recruiting" --database-url "$SUPABASE_DB_URL"
    """


@merchant_group.command("add")
@click.argument("name")
@click.option("--parent", "parent_id", metavar="ID", help="Make it a sub-merchant of this merchant.")
@click.option("--coaching", is_flag=True, help="Enable the coaching portal (interviews of type coaching).")
@database_url_option
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def merchant_add_command(name: str, parent_id: str | None, coaching: bool, database_url: str, as_json: bool) -> None:
    """Add a merchant and print its id (for `interview-db member add --merchant ID`).

    \b
    Example:
      interview-db merchant add "Acme Recruiting" --coaching
      interview-db merchant add "Acme Berlin" --parent 6f1c...-...
    """
    with _errors_as_messages(database_url, "merchant add"), connect(database_url) as conn:
        added = add_merchant(conn, name, parent_id=parent_id, coaching=coaching)
    if as_json:
        _emit_json(asdict(added))
        return
    parent = f", sub-merchant of {added.parent_merchant_id}" if added.parent_merchant_id else ""
    coaching_text = ", coaching portal on" if added.coaching_enabled else ""
    click.echo(f"Added merchant {added.name!r}: {added.merchant_id}{parent}{coaching_text}")
    click.echo(f"Next: interview-db member add --merchant {added.merchant_id} --email EMAIL --role merchant_owner")


@merchant_group.command("list")
@database_url_option
@click.option("--json", "as_json", is_flag=True, help="Print the merchants as JSON.")
def merchant_list_command(database_url: str, as_json: bool) -> None:
    """List the merchants: id, name, parent, members (the ids `member add --merchant` takes).

    \b
    Example:
      interview-db merchant list --database-url "$SUPABASE_DB_URL"
    """
    with _errors_as_messages(database_url, "merchant list"), connect(database_url) as conn:
        merchants = list_merchants(conn)
    if as_json:
        _emit_json([asdict(m) for m in merchants])
        return
    _print_list(merchants, "No merchants yet: interview-db merchant add NAME makes one.", lambda m: (
        f"{m.merchant_id}  {m.name!r}: {m.members} member(s)"
        + (f", sub-merchant of {m.parent_merchant_id}" if m.parent_merchant_id else "")
        + (", coaching portal on" if m.coaching_enabled else "")))


def _print_list(items: list[Any], empty: str, line: Callable[[Any], str]) -> None:
    for item in items:
        click.echo(line(item))
    if not items:
        click.echo(empty)


@main.group("member")
def member_group() -> None:
    """Members of merchants (profiles of signed-up users), as the operator.

    \b
    Example:
      interview-db member add --merchant ID --email owner@acme.example --role merchant_owner
    """


@member_group.command("add")
@click.option("--merchant", "merchant_id", required=True, metavar="ID", help="The merchant the user joins.")
@click.option("--email", required=True, metavar="EMAIL", help="Email of an existing auth.users row (signed up).")
@click.option("--role", required=True, metavar="ROLE", help=f"One of: {', '.join(ROLES)}.")
@database_url_option
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def member_add_command(merchant_id: str, email: str, role: str, database_url: str, as_json: bool) -> None:
    """Give a signed-up user a profile: a role in a merchant.

    The user must exist in auth.users (signed up through Supabase Auth); a user
    belongs to one merchant. In a running app, owners invite instead
    (merchant_invitation_create / merchant_invitation_accept).

    \b
    Example:
      interview-db member add --merchant 6f1c...-... --email owner@acme.example --role merchant_owner
    """
    with _errors_as_messages(database_url, "member add"), connect(database_url) as conn:
        added = add_member(conn, merchant_id=merchant_id, email=email, role=role)
    if as_json:
        _emit_json(asdict(added))
        return
    click.echo(f"Added {added.email} ({added.user_id}) as {added.role} of {added.merchant_name!r} ({added.merchant_id})")
    click.echo("Next: sign in as that user and call POST /rest/v1/rpc/job_interview_create_from_array")


@member_group.command("list")
@click.option("--merchant", "merchant_id", metavar="ID", help="Only the members of this merchant.")
@database_url_option
@click.option("--json", "as_json", is_flag=True, help="Print the members as JSON.")
def member_list_command(merchant_id: str | None, database_url: str, as_json: bool) -> None:
    """List the members (profiles): user id, email, role, merchant.

    \b
    Example:
      interview-db member list --database-url "$SUPABASE_DB_URL"
      interview-db member list --merchant 6f1c...-... --json
    """
    with _errors_as_messages(database_url, "member list"), connect(database_url) as conn:
        members = list_members(conn, merchant_id)
    if as_json:
        _emit_json([asdict(m) for m in members])
        return
    _print_list(members, "No members yet: interview-db member add --merchant ID --email EMAIL --role ROLE adds one.",
                lambda m: f"{m.user_id}  {m.email or '(no auth user)'}: {m.role} of "
                          + (f"{m.merchant_name!r} ({m.merchant_id})" if m.merchant_id else "every merchant"))


@main.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=True, path_type=None))
@click.option("--json", "as_json", is_flag=True, help="Print the problems as JSON.")
def lint_command(paths: tuple[str, ...], as_json: bool) -> None:
    """Check SQL files with PostgreSQL's parser (pglast); default: the whole package.

    Fails on a file that does not parse, a function without a stated volatility,
    a function without `set search_path = pg_catalog, pg_temp` (exactly), and a table in
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
    failure = f"{len(violations)} problem(s) in {len(files)} file(s)" if violations else None
    if as_json:
        payload: dict[str, Any] = {"files": len(files), "problems": [asdict(v) for v in violations]}
        _emit_json({"error": failure, **payload} if failure else payload)
        if failure:
            click.echo(f"Error: {failure}", err=True)
            click.get_current_context().exit(1)
        return
    for v in violations:
        click.echo(str(v))
    if failure:
        raise click.ClickException(failure)
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


def _from_deployed_database(database_url: str | None, project: Project, command: str,
                            produce: Callable[[psycopg.Connection], str]) -> str:
    """What ``produce`` reads from the deployed database at the URL, or else from a
    disposable local PostgreSQL deployed for it (without seeds)."""
    _terminate_on_sigterm()
    with _errors_as_messages(database_url, command):
        if database_url:
            with connect(database_url) as conn:
                produced = produce(conn)
        else:
            with deployed_local_database(project, _migrate_progress(to_stderr=True, verbose=False), seeded=False) as pg, \
                    connect(pg.url()) as conn:
                produced = produce(conn)
    return produced


def _compare_with_checked_in(project: Project, path: Path, generated: str, regenerate: str,
                             as_json: bool = False) -> None:
    """Exit 1 naming what to run when the checked-in file at ``path`` differs from
    ``generated`` (or is missing); else say it is up to date."""
    shown = path.relative_to(project.root)
    checked_in = path.read_text(encoding="utf-8") if path.exists() else None
    if checked_in != generated:
        raise click.ClickException(f"{shown} is out of date: run `{regenerate}`")
    if as_json:
        _emit_json({"path": str(shown), "up_to_date": True})
    else:
        click.secho(f"{shown} is up to date.", fg="green")


def _wrote(path: Path, as_json: bool) -> None:
    if as_json:
        _emit_json({"written": str(path)})
    else:
        click.secho(f"Wrote {path}.", fg="green", err=True)


@main.command("openapi")
@click.option("--database-url", envvar="DATABASE_URL", metavar="URL",
              help="Read the rules from this deployed database (or $DATABASE_URL) instead of a disposable local "
                   "PostgreSQL.")
@click.option("--output", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path), default=Path("-"),
              metavar="PATH", help="Write the document to PATH [default: standard output].")
@click.option("--check", is_flag=True,
              help=f"Compare with the checked-in openapi/{RPC_NAME}.json; exit 1 when it differs.")
@click.option("--json", "as_json", is_flag=True, help="Say what was done as JSON (an error too).")
def openapi_command(database_url: str | None, output: Path, check: bool, as_json: bool) -> None:
    """Generate the OpenAPI 3.1 document of POST /rpc/job_interview_create_from_array.

    The request schema comes from the rule table interview_private.request_field_rules(),
    read from a deployed database (by default a disposable local PostgreSQL that
    this command starts and migrates).

    \b
    Example:
      interview-db openapi --output openapi/job_interview_create_from_array.json
      interview-db openapi --check
    """
    project = _project()
    document = _from_deployed_database(database_url, project, "openapi", lambda conn: _openapi(conn, project))
    if check:
        shown = project.openapi_file.relative_to(project.root)
        _compare_with_checked_in(project, project.openapi_file, document, f"interview-db openapi --output {shown}",
                                 as_json)
    elif str(output) == "-":
        if as_json:
            _emit_json({"document": json.loads(document)})
        else:
            click.echo(document, nl=False)
    else:
        _write(output, document)
        _wrote(output, as_json)


def _openapi(conn: Any, project: Project) -> str:
    try:
        return generate_openapi(conn, project)
    except LookupError as exc:
        raise click.ClickException(str(exc)) from exc


@main.command("quick-check")
@click.option("--database-url", envvar="DATABASE_URL", metavar="URL",
              help="Read the rules from this deployed database (or $DATABASE_URL) instead of a disposable local "
                   "PostgreSQL.")
@click.option("--write", is_flag=True, help=f"Write sql/functions/{QUICK_CHECK_FILE} instead of standard output.")
@click.option("--check", is_flag=True, help=f"Compare with the checked-in sql/functions/{QUICK_CHECK_FILE}; exit 1 "
                                            "when it differs.")
@click.option("--json", "as_json", is_flag=True, help="Say what was done as JSON (an error too).")
def quick_check_command(database_url: str | None, write: bool, check: bool, as_json: bool) -> None:
    """Generate the validation's quick check from the rule table.

    interview_private.passes_field_rules(jsonb) is the rule table
    interview_private.request_field_rules() written out field by field: a valid
    body passes it in microseconds, and only a body it does not pass is walked
    field by field for its error. Regenerate it whenever the rules change.

    \b
    Example:
      interview-db quick-check --write
      interview-db quick-check --check
    """
    project = _project()
    text = _from_deployed_database(database_url, project, "quick-check",
                                   lambda conn: generate_quick_check(read_rules(conn)))
    target = quick_check_path(project)
    if check:
        _compare_with_checked_in(project, target, text, "interview-db quick-check --write", as_json)
    elif write:
        _write(target, text)
        _wrote(target.relative_to(project.root), as_json)
    else:
        if as_json:
            _emit_json({"text": text})
        else:
            click.echo(text, nl=False)


@main.command("generate")
@click.option("--database-url", envvar="DATABASE_URL", metavar="URL",
              help="Read the rules from this deployed database (or $DATABASE_URL) instead of a disposable local "
                   "PostgreSQL.")
@click.option("--write", is_flag=True, help="Write every generated file (the default only lists them).")
@click.option("--check", is_flag=True, help="Compare every generated file with its checked-in text; exit 1 naming "
                                            "those that differ.")
@click.option("--json", "as_json", is_flag=True, help="Say what was done as JSON (an error too).")
def generate_command(database_url: str | None, write: bool, check: bool, as_json: bool) -> None:
    """Regenerate every file generated from the rule table, or check them all.

    The rule table interview_private.request_field_rules() is the one list of the
    request's fields. Generated from it and checked in: the RPC's named signature
    (sql/functions/public.job_interview_create_from_array.sql), the quick check
    (sql/functions/interview_private.passes_field_rules.sql), the parsed
    request's type (sql/types/interview_private.create_request.sql), the parse of
    the plain texts (sql/functions/interview_private.parse_request_texts.sql), the
    OpenAPI document and the TypeScript types. Run it after any change of the
    rules or of the request's type.

    \b
    Example:
      interview-db generate --write
      interview-db generate --check
    """
    if write and check:
        raise click.UsageError("give --write or --check, not both")
    project = _project()
    texts: dict[Path, str] = {}

    def produce(conn: psycopg.Connection) -> str:
        try:
            texts.update(generate_all(conn, project))
        except (LookupError, ValueError) as exc:
            raise click.ClickException(str(exc)) from exc
        return ""

    _from_deployed_database(database_url, project, "generate", produce)
    shown = [str(path.relative_to(project.root)) for path in texts]
    if check:
        stale = [str(path.relative_to(project.root)) for path in generated_out_of_date(project, texts)]
        if stale:
            raise click.ClickException(f"out of date: {', '.join(stale)}: run `interview-db generate --write`")
        if as_json:
            _emit_json({"paths": shown, "up_to_date": True})
        else:
            click.secho(f"{len(shown)} generated files are up to date.", fg="green")
    elif write:
        for path, text in texts.items():
            _write(path, text)
        if as_json:
            _emit_json({"written": shown})
        else:
            click.secho(f"Wrote {', '.join(shown)}.", fg="green", err=True)
    elif as_json:
        _emit_json({"paths": shown})
    else:
        click.echo("\n".join(shown))


@main.command("typescript")
@click.option("--openapi", "openapi_path", type=click.Path(dir_okay=False, path_type=Path), metavar="PATH",
              help="Generate from this OpenAPI document [default: the checked-in openapi/job_interview_create_from_array.json].")
@click.option("--output", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path), default=Path("-"),
              metavar="PATH", help="Write the types to PATH [default: standard output].")
@click.option("--check", is_flag=True, help=f"Compare with the checked-in {TYPES_PATH.as_posix()}; exit 1 when it differs.")
@click.option("--json", "as_json", is_flag=True, help="Say what was done as JSON (an error too).")
def typescript_command(openapi_path: Path | None, output: Path, check: bool, as_json: bool) -> None:
    """Generate the TypeScript types of the RPC for supabase-js, from its OpenAPI document.

    Request, response (embed fields only with is_embedded), error codes and a
    Database fragment to merge onto `supabase gen types typescript` output. Reads
    the OpenAPI document only (run `interview-db openapi` first when the rules
    changed): the same document gives the same bytes.

    \b
    Example:
      interview-db typescript --output types/interview-db.ts
      interview-db typescript --check
    """
    project = _project()
    try:
        text = generate_typescript(openapi_path or project.openapi_file, project)
    except TypeScriptError as exc:
        raise click.ClickException(str(exc)) from exc
    if check:
        problem = out_of_date(project, text)
        if problem:
            raise click.ClickException(problem)
        if as_json:
            _emit_json({"path": TYPES_PATH.as_posix(), "up_to_date": True})
        else:
            click.secho(f"{TYPES_PATH.as_posix()} is up to date.", fg="green")
    elif str(output) == "-":
        if as_json:
            _emit_json({"text": text})
        else:
            click.echo(text, nl=False)
    else:
        _write(output, text)
        _wrote(output, as_json)


@main.command("demo")
@click.option("--database-url", envvar="DATABASE_URL", metavar="URL",
              help="Run against this database (or $DATABASE_URL) instead of a disposable local PostgreSQL.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--verbose", is_flag=True, help="Also name every migration and function file applied.")
def demo_command(database_url: str | None, as_json: bool, verbose: bool) -> None:
    """Start a local PostgreSQL, deploy everything and create an interview through the RPC.

    One progress line per phase, then the merchant and user it made (the SQL),
    the JWT claims of the call, the 200 body, the steps, a refused call's 422,
    and what to do next.

    \b
    Example:
      interview-db demo
      interview-db demo --verbose
    """
    _terminate_on_sigterm()
    project = _project()
    echo = _progress(to_stderr=as_json)
    with _errors_as_messages(database_url, "demo"):
        if database_url:
            deploy(database_url, project, _phase_progress(echo, verbose))
            demo = _run_demo(database_url, project, echo)
        else:
            with deployed_local_database(project, _phase_progress(echo, verbose)) as pg:
                demo = _run_demo(pg.url(), project, echo)
    if as_json:
        _emit_json(asdict(demo))
    else:
        _print_demo(demo)
    if not demo.created.ok:
        raise click.ClickException(f"the RPC call failed with HTTP {demo.created.status}")


def _phase_progress(echo: Any, verbose: bool) -> Any:
    """migrate's progress for the demo: every file with --verbose; otherwise only
    what is not one applied file (the shim, a lock being waited for)."""

    def report(message: str) -> None:
        if verbose or not message.startswith("applying "):
            echo(message)

    return report


def _run_demo(url: str, project: Project, echo: Any) -> DemoResult:
    with connect(url) as conn:
        demo = run_demo(conn, project)
    echo("made a merchant and its owner, called the RPC twice")
    return demo


DEMO_NEXT = ("next: deploy to your own project (README.md, \"Deploy\"), then give your first "
             "user a merchant: interview-db merchant add / member add (README.md, \"First merchant and user\")")


def _print_demo(demo: DemoResult) -> None:
    click.secho(f"Merchant {demo.merchant_id} and its owner {demo.user_id}, made with:", bold=True)
    for statement in demo.sql:
        click.echo(f"  {statement};")
    click.echo("")
    click.secho("JWT claims of the call (a signed-in user's access token):", bold=True)
    click.echo(f"  {json.dumps(demo.claims)}")
    click.echo("")
    click.secho(f"POST /rest/v1/rpc/{RPC_NAME}  (examples/create-interview.json)", bold=True)
    click.secho(f"HTTP {demo.created.status}", fg="green" if demo.created.ok else "red")
    click.echo(json.dumps(demo.created.body, indent=2))
    if demo.steps:
        click.echo("")
        click.secho("Steps of the new interview:", bold=True)
        click.echo(f"  {'pos':>3}  {'kind':<20} text")
        for step in demo.steps:
            text = step.text if len(step.text) <= 70 else step.text[:67] + "..."
            click.echo(f"  {step.position:>3}  {step.kind:<20} {text}")
    if demo.rejected is not None:
        click.echo("")
        click.secho("The same call with a question of 5 hours:", bold=True)
        click.secho(f"HTTP {demo.rejected.status}", fg="yellow")
        click.echo(json.dumps(demo.rejected.body, indent=2))
    click.echo("")
    click.echo(DEMO_NEXT)


@main.command("bench")
@click.option("--database-url", envvar="DATABASE_URL", metavar="URL",
              help="Measure on this (migrated, seeded) database (or $DATABASE_URL) instead of a disposable local "
                   "PostgreSQL.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), metavar="PATH",
              help="Also write the figures as JSON to PATH.")
@click.option("--quick", is_flag=True, help="Tiny sizes, a few calls: checks that the benchmark runs, measures nothing.")
@click.option("--calls", type=click.IntRange(1), help="Calls per measured point (default 200).")
@click.option("--sizes", help="Question counts, comma-separated (default 1,10,50,200).")
@click.option("--scale-sets", type=click.IntRange(0), help="Interview sets to load for the scale test (default 100000; 0 skips it).")
@click.option("--clients", help="Concurrent clients, comma-separated (default 1,2,4,8).")
@click.option("--seconds", type=float, help="Seconds per concurrency point (default 10).")
@click.option("--verbose", is_flag=True, help="Print the plan of every statement one RPC call runs (scale test).")
@click.option("--webhook-events", type=click.IntRange(0), default=0,
              help="Also measure webhook delivery: N events by one relay to a local receiver (default 0: skip).")
@click.option("--reads", is_flag=True,
              help="Measure only the read section: every kind of reader's reads through RLS (default at 100000 sets).")
@click.option("--read-sets", metavar="N[,N...]",
              help="Interview sets of the read section, comma-separated (e.g. 100000,1000000; loaded in stages).")
@click.option("--performance-page", "--readme", "page_path", type=click.Path(dir_okay=False, path_type=Path),
              metavar="PATH", help="With --json: rewrite the generated performance block of this page "
                                   "(docs/performance.md) from the figures. --readme is the older name.")
def bench_command(database_url: str | None, json_path: Path | None, quick: bool, calls: int | None,
                  sizes: str | None, scale_sets: int | None, clients: str | None, seconds: float | None,
                  verbose: bool, webhook_events: int, reads: bool, read_sets: str | None,
                  page_path: Path | None) -> None:
    """Measure the RPC against its floor, at scale and under concurrency.

    The floor is the same rows written by plain multi-row INSERTs in one
    transaction. Prints a table; --json writes the same figures.

    \b
    Example:
      interview-db bench --json bench.json
      interview-db bench --json benchmarks/results-pg15.json --performance-page docs/performance.md
      interview-db bench --quick
      interview-db bench --reads --read-sets 100000,1000000 --json reads.json
    """
    from .bench import BENCH_SETTINGS, BenchOptions, format_table, run_bench, source_commit, sql_checksum

    _terminate_on_sigterm()
    options = BenchOptions.quick() if quick else BenchOptions()
    if calls:
        options.calls = calls
    if sizes:
        options.sizes = _numbers(sizes, "--sizes")
    if scale_sets is not None:
        options.scale_sets = scale_sets
    if clients:
        options.clients = _numbers(clients, "--clients")
    if seconds:
        options.seconds = seconds
    options.verbose = verbose
    options.webhook_events = webhook_events
    if read_sets:
        try:
            options.read_sets = tuple(int(n) for n in read_sets.split(","))
        except ValueError:
            raise click.BadParameter("comma-separated numbers of sets, e.g. 100000,1000000",
                                     param_hint="--read-sets") from None
    if reads:
        options.reads_only = True
        options.read_sets = options.read_sets or (100_000,)
    project = _project()
    echo = _progress(to_stderr=True)
    with _errors_as_messages(database_url, "bench"):
        if database_url:
            connect(database_url).close()  # one clear line when it is out of reach
            result = run_bench(database_url, database_url, options, echo, sql_checksum=sql_checksum(project), commit=source_commit(project))
        else:
            # the server's own clock for the ratio to the floor: pg_stat_statements, top-level statements
            with deployed_local_database(project, echo, settings=BENCH_SETTINGS) as pg:
                with connect(pg.url()) as conn:
                    conn.execute("create extension if not exists pg_stat_statements")
                result = run_bench(pg.url(), pg.url(user="authenticator"), options, echo,
                                   sql_checksum=sql_checksum(project), commit=source_commit(project))
    click.echo(format_table(result))
    if verbose and result.scale:
        click.echo("\nPlans of one call on the loaded database:")
        click.echo("\n\n".join(result.scale.plans))
    if json_path:
        _write(json_path, result.to_json() + "\n")
        click.echo(f"\nFigures written to {json_path}")
        if page_path:
            from .bench import replace_performance_block

            try:
                page_path.write_text(replace_performance_block(
                    page_path.read_text(encoding="utf-8"), json.loads(result.to_json()), json_path.name,
                    str(page_path)), encoding="utf-8")
            except (ValueError, OSError) as exc:
                raise click.ClickException(str(exc)) from None
            click.echo(f"Performance block of {page_path} rewritten")


def _numbers(text: str, option: str) -> tuple[int, ...]:
    """A comma-separated list of positive whole numbers, or a usage error naming the option."""
    try:
        numbers = tuple(int(n) for n in text.split(","))
    except ValueError:
        numbers = ()
    if not numbers or min(numbers) < 1:
        raise click.BadParameter(f"expected positive whole numbers separated by commas, got {text!r}",
                                 param_hint=option)
    return numbers


@main.command("relay")
@database_url_option
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit (for cron and tests).")
@click.option("--json", "as_json", is_flag=True, help="Log JSON lines instead of text.")
@click.option("--allow-private-targets", is_flag=True,
              help="Allow http and loopback/private/link-local targets (local development and tests only).")
@click.option("--batch-size", type=click.IntRange(1, 100), default=10, show_default=True,
              help="Most deliveries claimed by one query.")
@click.option("--concurrency", type=click.IntRange(1, 256), default=16, show_default=True,
              help="Attempts in flight at once (at most one per endpoint).")
@click.option("--merchant-limit", type=click.IntRange(1, 256), default=8, show_default=True,
              help="Attempts in flight at once for one merchant, across all relays.")
@click.option("--lease-seconds", type=click.FloatRange(0.5), default=60.0, show_default=True,
              help="How long a claim holds a delivery before another relay may take it; at least --timeout + 1.")
@click.option("--max-attempts", type=click.IntRange(1), default=12, show_default=True,
              help="Attempts before a delivery is dead.")
@click.option("--backoff-base", type=click.FloatRange(0.01), default=10.0, show_default=True,
              help="Seconds before the first retry; doubles with each attempt, with jitter.")
@click.option("--backoff-max", type=click.FloatRange(0.01), default=21600.0, show_default=True,
              help="Longest wait between two attempts, in seconds.")
@click.option("--timeout", type=click.FloatRange(0.1), default=10.0, show_default=True,
              help="Seconds for a whole attempt: DNS, connect, TLS, request and the complete answer.")
@click.option("--poll-interval", type=click.FloatRange(0.05), default=1.0, show_default=True,
              help="Seconds between looks for due retries (new events wake the relay at once).")
@click.option("--prune-every", type=click.FloatRange(0), default=3600.0, show_default=True,
              help="Seconds between prunes of what retention allows (0: never; see interview-db prune).")
def relay_command(database_url: str, once: bool, as_json: bool, allow_private_targets: bool, batch_size: int,
                  concurrency: int, merchant_limit: int, lease_seconds: float, max_attempts: int,
                  backoff_base: float, backoff_max: float, timeout: float, poll_interval: float,
                  prune_every: float) -> None:
    """Deliver the outbox's events to merchant webhook endpoints (Standard Webhooks).

    Runs until SIGTERM or Ctrl-C (the attempts in flight finish, within
    --timeout, and are recorded), or with --once until nothing is due. Several
    relays may run at once. Use a direct connection (port 5432) as the database
    owner, not the pooler's transaction mode.

    \b
    Example:
      interview-db relay --database-url "$SUPABASE_DB_URL"
      interview-db relay --once --json
    """
    from .relay import Relay, RelayError, RelayLog, RelayOptions, RetryPolicy, lease_problem, stop_on_signals

    problem = lease_problem(lease_seconds, timeout)
    if problem:
        raise click.UsageError(f"--lease-seconds: {problem}")
    options = RelayOptions(
        batch_size=batch_size, lease_seconds=lease_seconds, timeout_seconds=timeout, poll_seconds=poll_interval,
        allow_private_targets=allow_private_targets, once=once, concurrency=concurrency,
        merchant_limit=merchant_limit, prune_seconds=prune_every,
        retry=RetryPolicy(base_seconds=backoff_base, max_seconds=backoff_max, max_attempts=max_attempts),
    )
    with _errors_as_messages(database_url, "relay"):
        connect(database_url).close()  # a bad or unreachable URL is one line before the relay starts
        relay = Relay(database_url, options, RelayLog(as_json=as_json))
        stop_on_signals(relay)
        try:
            relay.run()
        except RelayError as exc:
            raise click.ClickException(redact(str(exc), database_url)) from exc


@main.command("prune")
@database_url_option
@click.option("--older-than-days", type=click.FloatRange(0, min_open=True), metavar="DAYS",
              help="Prune what is final and older than this (default: webhook_settings.retain_delivered, 30 days).")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON (an error too).")
def prune_command(database_url: str, older_than_days: float | None, as_json: bool) -> None:
    """Delete delivered webhook deliveries, their attempts and published outbox events past retention.

    Pending and dead deliveries, and the events they belong to, are kept. Every
    relay does this once an hour; this command is for cron.

    \b
    Example:
      interview-db prune --database-url "$SUPABASE_DB_URL"
    """
    from datetime import timedelta

    older = timedelta(days=older_than_days) if older_than_days else None
    totals = {"deliveries": 0, "events": 0, "published": 0}
    with _errors_as_messages(database_url, "prune"), connect(database_url) as conn:
        while True:
            row = conn.execute("select * from interview_private.prune_webhooks(%s)", (older,)).fetchone()
            counts = dict(zip(("deliveries", "events", "published"), row or (0, 0, 0), strict=True))
            for key, value in counts.items():
                totals[key] += value
            if counts["deliveries"] + counts["events"] < 10000:
                break
    if as_json:
        _emit_json(totals)
        return
    click.echo(f"pruned {totals['deliveries']} delivered deliveries (with their attempts) and {totals['events']} "
               f"published events; {totals['published']} events marked published")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
