"""interview-db doctor: is this database a healthy home for the package, and if
not, what to run next. Read-only: it asks the catalog, the deployment history
(interview-db's bookkeeping, or the Supabase CLI's) and the reference tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg

from . import __version__
from .migrations import MigrationError, connect, describe_url, has_auth_schema, is_local_shim, status
from .project import Project
from .seeds import LANGUAGES_FILE, TEMPLATES_FILE, seed_data
from .supabase_export import pushed_state

MIN_SERVER_MAJOR = 15  # what the package is tested on (and newer)
RPC_SIGNATURE_SQL = """
select p.oid::regprocedure::text,
       coalesce(has_function_privilege('authenticated', p.oid, 'execute'), false)
         and not coalesce(has_function_privilege('anon', p.oid, 'execute'), true)
from pg_proc as p
where p.pronamespace = 'public'::regnamespace and p.proname = 'job_interview_create_from_array' and p.pronargs > 1
"""
MIGRATE = 'interview-db migrate --database-url "$DATABASE_URL"'
SEED = 'interview-db seed --database-url "$DATABASE_URL"'
PUSH = (
    "interview-db export-supabase supabase/migrations --seed-file supabase/seed.sql && "
    'supabase db push --db-url "$DATABASE_URL" --include-seed'
)


@dataclass
class Check:
    """One finding. ``ok`` is None for information that is neither good nor bad."""

    name: str
    ok: bool | None
    summary: str
    fix: str | None = None


@dataclass
class Diagnosis:
    database: str
    checks: list[Check] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return all(check.ok is not False for check in self.checks)

    @property
    def next_steps(self) -> list[str]:
        steps: list[str] = []
        for check in self.checks:
            if check.fix and check.fix not in steps:
                steps.append(check.fix)
        return steps

    def add(self, name: str, ok: bool | None, summary: str, fix: str | None = None) -> None:
        self.checks.append(Check(name, ok, summary, fix))


def _scalar(conn: psycopg.Connection, query: str, *params: object) -> object:
    row = conn.execute(query, params or None).fetchone()
    return row[0] if row else None


def _server(conn: psycopg.Connection, diagnosis: Diagnosis) -> None:
    version = str(_scalar(conn, "show server_version")).split()[0]
    number = int(str(_scalar(conn, "show server_version_num")))
    if number // 10000 >= MIN_SERVER_MAJOR:
        diagnosis.add("server", True, f"PostgreSQL {version}")
    else:
        diagnosis.add("server", False, f"PostgreSQL {version}: the package needs {MIN_SERVER_MAJOR} or newer",
                      f"upgrade the server to PostgreSQL {MIN_SERVER_MAJOR} or newer")


def _platform(conn: psycopg.Connection, diagnosis: Diagnosis) -> None:
    if not has_auth_schema(conn):
        diagnosis.add("platform", None, "plain PostgreSQL without the Supabase shim (migrate applies it)")
    elif is_local_shim(conn):
        diagnosis.add("platform", None, "plain PostgreSQL with the local Supabase shim")
    else:
        diagnosis.add("platform", None, "Supabase (its own auth schema and roles)")


def _deployment(conn: psycopg.Connection, url: str, project: Project, diagnosis: Diagnosis) -> str | None:
    """Migrations and function files, by whichever path deployed them: the command
    that brings this database up to date, or None where the package is not deployed."""
    state = status(url, project)
    pushed = pushed_state(conn, project)
    total = len(project.migration_files())
    if state.bookkeeping:
        path, fix = "interview-db migrate", MIGRATE
        pending, edited = state.pending_migrations, state.edited_migrations
        drifted = state.drifted_functions
    elif pushed.deployed:
        path, fix = "supabase db push", PUSH
        pending, edited = pushed.pending, pushed.edited
        drifted = [f"sql/functions (revision {pushed.functions_version} differs)"] if pushed.functions_drifted else []
        if pushed.functions_version is None:
            drifted = ["sql/functions (never pushed)"]
    else:
        diagnosis.add("deployment", False, "the package is not deployed here",
                      f"{MIGRATE}   (or, with the Supabase CLI: {PUSH})")
        return None
    if state.bookkeeping and pushed.deployed:
        diagnosis.add("deployment", None, "deployed by interview-db migrate AND supabase db push: use one path only")
    diagnosis.add("deployment", None, f"deployed with {path}")

    applied = total - len(pending)
    if edited:
        diagnosis.add("migrations", False,
                      f"{applied} of {total} applied; EDITED since applied: {', '.join(edited)}",
                      "restore the edited migration files (git checkout sql/migrations): "
                      "a migration never changes once applied; add a new one instead")
    elif pending:
        diagnosis.add("migrations", False, f"{applied} of {total} applied; pending: {', '.join(pending)}", fix)
    else:
        diagnosis.add("migrations", True, f"all {total} applied, none edited")

    if drifted:
        diagnosis.add("functions", False, f"not as in sql/functions: {', '.join(drifted)}", fix)
    else:
        diagnosis.add("functions", True, f"all {len(project.function_files())} function files as applied")

    row = conn.execute(RPC_SIGNATURE_SQL).fetchone() if _has_roles(conn) else None
    if row is None:
        diagnosis.add("rpc", False, "public.job_interview_create_from_array is missing", fix)
    elif not row[1]:
        diagnosis.add("rpc", False, f"{row[0].split('(')[0]}: authenticated may not execute it, or anon may", fix)
    else:
        diagnosis.add("rpc", True, "public.job_interview_create_from_array: execute granted to authenticated, not anon")
    return fix


def _has_roles(conn: psycopg.Connection) -> bool:
    return bool(_scalar(conn, "select count(*) = 2 from pg_roles where rolname in ('anon', 'authenticated')"))


def _seed(conn: psycopg.Connection, project: Project, diagnosis: Diagnosis, update: str) -> None:
    fix = PUSH if update == PUSH else SEED
    data = seed_data(project)
    codes = [str(item["code"]) for item in data[LANGUAGES_FILE]]
    ids = [str(item["id"]) for item in data[TEMPLATES_FILE]]
    tables = "select to_regclass('public.platform_languages') is null or to_regclass('public.interview_templates') is null"
    if _scalar(conn, tables):
        diagnosis.add("seed", False, "the reference tables are missing", fix)
        return
    languages = int(str(_scalar(conn, "select count(*) from public.platform_languages where code = any (%s)", codes)))
    templates = int(str(_scalar(conn, "select count(*) from public.interview_templates where id::text = any (%s)", ids)))
    summary = f"{languages} of {len(codes)} languages, {templates} of {len(ids)} templates"
    if languages == len(codes) and templates == len(ids):
        diagnosis.add("seed", True, summary)
    else:
        diagnosis.add("seed", False, summary, fix)


WEBHOOK_BACKLOG_SQL = """
select count(*) filter (where d.status = 'pending' and d.next_attempt_at <= now()) as due,
       count(*) filter (where d.status = 'pending' and d.attempts > 0) as retrying,
       count(*) filter (where d.status = 'dead') as dead,
       coalesce(extract(epoch from now() - min(d.created_at) filter (
         where d.status = 'pending' and d.next_attempt_at <= now())), 0)::float8 as oldest_due_seconds
from interview_private.webhook_deliveries as d
where d.status <> 'delivered'
"""
RELAY = 'interview-db relay --database-url "$DATABASE_URL"'
WEBHOOK_STALE_SECONDS = 15 * 60  # due this long and still undelivered: no relay is running


def _webhooks(conn: psycopg.Connection, diagnosis: Diagnosis) -> None:
    """The webhook backlog: due, retrying, dead, and the age of the oldest due delivery."""
    if _scalar(conn, "select to_regclass('interview_private.webhook_deliveries') is null"):
        return  # not deployed yet: the deployment check says what to run
    row = conn.execute(WEBHOOK_BACKLOG_SQL).fetchone()
    assert row is not None
    due, retrying, dead, oldest = int(row[0]), int(row[1]), int(row[2]), float(row[3])
    summary = f"{due} due, {retrying} retrying, {dead} dead"
    if due:
        summary += f"; oldest due for {_age(oldest)}"
    if due and oldest > WEBHOOK_STALE_SECONDS:
        diagnosis.add("webhooks", False, summary + ": is a relay running?", RELAY)
    elif dead:
        diagnosis.add("webhooks", None, summary + " (see interview_private.webhook_attempts for why)")
    else:
        diagnosis.add("webhooks", True, summary)


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _plpgsql_check(conn: psycopg.Connection, diagnosis: Diagnosis) -> None:
    if _scalar(conn, "select exists (select from pg_available_extensions where name = 'plpgsql_check')"):
        diagnosis.add("plpgsql_check", None, "available: `supabase db lint` can check the PL/pgSQL functions")
    else:
        diagnosis.add("plpgsql_check", None, "not available: `supabase db lint` needs it "
                      "(Supabase has it; Debian: apt-get install postgresql-15-plpgsql-check)")


def diagnose(url: str, project: Project) -> Diagnosis:
    """Every check, in order; an unreachable database ends the list early."""
    diagnosis = Diagnosis(database=describe_url(url))
    diagnosis.add("package", None, f"interview-db {__version__}, schema {project.schema_version}, "
                  f"files from the {project.describe()}")
    try:
        conn = connect(url)
    except MigrationError as exc:
        diagnosis.add("reachable", False, str(exc),
                      "check the URL, password and network; on Supabase use the direct connection (port 5432)")
        return diagnosis
    with conn:
        diagnosis.add("reachable", True, f"connected as {_scalar(conn, 'select current_user')}")
        _server(conn, diagnosis)
        _platform(conn, diagnosis)
        update = _deployment(conn, url, project, diagnosis)
        if update is not None:
            _seed(conn, project, diagnosis, update)
            _webhooks(conn, diagnosis)
        _plpgsql_check(conn, diagnosis)
    return diagnosis
