"""interview-db doctor: is this database a healthy home for the package, and if
not, what to run next. Read-only: it asks the catalog, the deployment history
(interview-db's bookkeeping, or the Supabase CLI's) and the reference tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg

from . import __version__, api_check, drift, exposure
from .db import DeployError, connect, describe_url, redact
from .functions import read_function_files
from .migrations import StatusResult, status
from .project import RPC_NAME, RPC_SCHEMA, Project
from .seeds import LANGUAGES_FILE, TEMPLATES_FILE, seed_data
from .shim import detect, misplaced_extensions
from .supabase_export import pushed_state

MIN_SERVER_MAJOR = 15  # what the package is tested on (and newer)
RPC_SIGNATURE_SQL = f"""
select p.oid::regprocedure::text,
       coalesce(has_function_privilege('authenticated', p.oid, 'execute'), false)
         and not coalesce(has_function_privilege('anon', p.oid, 'execute'), true)
from pg_proc as p
where p.pronamespace = '{RPC_SCHEMA}'::regnamespace and p.proname = '{RPC_NAME}' and p.pronargs > 1
"""
RESTORE_PUSHED = (
    'psql "$DATABASE_URL" --single-transaction -f supabase/migrations/<newest>_interview_functions.sql '
    "(re-applies the pushed functions and records them again)"
)
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
    platform = detect(conn)
    summary = platform.describe() + (" (migrate applies it)" if not platform.auth else "")
    diagnosis.add("platform", False if platform.foreign_auth else None, summary,
                  "deploy into a database without an auth schema of its own, or into Supabase"
                  if platform.foreign_auth else None)
    for name, schema in misplaced_extensions(conn):
        diagnosis.add("extensions", False, f"{name} is installed in schema {schema}, not extensions",
                      f"create schema if not exists extensions; alter extension {name} set schema extensions;")


def _deployment(conn: psycopg.Connection, url: str, project: Project, diagnosis: Diagnosis) -> str | None:
    """Migrations and function files, by whichever path deployed them: the command
    that brings this database up to date, or None where the package is not deployed."""
    try:
        state = status(url, project)
    except DeployError as exc:
        diagnosis.add("deployment", False, str(exc), "connect as the role that deployed the package (e.g. postgres)")
        return None
    total = len(project.migration_files())
    if state.deployed_with is None:
        diagnosis.add("deployment", False, "the package is not deployed here",
                      f"{MIGRATE}   (or, with the Supabase CLI: {PUSH})")
        return None
    fix = MIGRATE if state.bookkeeping else PUSH
    diagnosis.add("deployment", None, f"deployed with {state.deployed_with}")
    pending, edited = state.pending_migrations, state.edited_migrations
    drifted = state.drifted_functions + [f"sql/types/{t}" for t in state.drifted_types]
    if not state.bookkeeping:
        drifted = _pushed_functions(conn, project)

    applied = total - len(pending)
    if state.newer_migrations:
        diagnosis.add("migrations", False,
                      f"applied here but not in this checkout: {', '.join(state.newer_migrations)} (deployed from a "
                      f"newer release, schema {max(state.newer_migrations)}; this checkout has {project.schema_version})",
                      "run interview-db from that release or a newer one (pip install -U interview-db)")
    elif edited:
        diagnosis.add("migrations", False,
                      f"{applied} of {total} applied; EDITED since applied: {', '.join(edited)}",
                      "restore the edited migration files (git checkout sql/migrations): "
                      "a migration never changes once applied; add a new one instead")
    elif pending:
        diagnosis.add("migrations", False, f"{applied} of {total} applied; pending: {', '.join(pending)}", fix)
    else:
        diagnosis.add("migrations", True, f"all {total} applied, none edited")

    if drifted:
        diagnosis.add("functions", False, f"not as in sql/functions and sql/types: {', '.join(drifted)}", fix)
    else:
        diagnosis.add("functions", True, f"all {len(project.function_files())} function files as applied")
    _catalog(state, diagnosis, MIGRATE if state.bookkeeping else RESTORE_PUSHED)

    row = conn.execute(RPC_SIGNATURE_SQL).fetchone() if _has_roles(conn) else None
    if row is None:
        diagnosis.add("rpc", False, f"{RPC_SCHEMA}.{RPC_NAME} is missing", fix)
    elif not row[1]:
        diagnosis.add("rpc", False, f"{row[0].split('(')[0]}: authenticated may not execute it, or anon may", fix)
    else:
        diagnosis.add("rpc", True, f"{RPC_SCHEMA}.{RPC_NAME}: execute granted to authenticated, not anon")
    return fix


def _pushed_functions(conn: psycopg.Connection, project: Project) -> list[str]:
    pushed = pushed_state(conn, project)
    if pushed.functions_version is None:
        return ["sql/functions (never pushed)"]
    return [f"sql/functions (revision {pushed.functions_version} differs)"] if pushed.functions_drifted else []


def _catalog(state: StatusResult, diagnosis: Diagnosis, fix: str) -> None:
    """The live catalog against the fingerprint recorded when the package was deployed."""
    if not state.fingerprint and fix == MIGRATE:
        diagnosis.add("catalog", False, "no fingerprint of the deployed catalog (deployed by an older interview-db)", fix)
    elif not state.fingerprint:
        # a push applies each file once: the fingerprint comes with the next exported file
        diagnosis.add("catalog", None, "not judged: no fingerprint of the deployed catalog (pushed by an older "
                      "interview-db export; the next exported revision or migration records one)")
    elif state.drift:
        diagnosis.add("catalog", False, "differs from what was deployed: " + " | ".join(state.drift), fix)
    else:
        diagnosis.add("catalog", True, "functions, types, grants, owners, RLS policies and SECURITY DEFINER flags as deployed")


def _package_names(project: Project) -> list[str]:
    scope = drift.scope_of(project, read_function_files(project))
    return [*scope.functions, *scope.tables]


def _exposure(conn: psycopg.Connection, project: Project, diagnosis: Diagnosis, update: str) -> None:
    """Schema privileges of the package's schemas, and what API roles reach that the package did not give them."""
    found = exposure.find(conn, project.migration_files(), project.exposed_schemas(), _package_names(project))
    if not found.problems:
        diagnosis.add("exposure", True, "the package's schemas grant what its migrations grant; no SECURITY DEFINER "
                      "function or grant of another's reaches the API roles")
        return
    fixes = []
    if found.repairable:
        fixes.append(f"{update} (puts the schema privileges back)" if update == MIGRATE else
                     "revoke (or grant back) the schema privileges named")
    if found.foreign:
        fixes.append("review the objects named (not the package's: migrate leaves them alone): drop them, or revoke "
                     "execute from anon, authenticated and service_role")
    diagnosis.add("exposure", False, " | ".join(found.problems), "; ".join(fixes))


def _api(conn: psycopg.Connection, project: Project, diagnosis: Diagnosis) -> None:
    """Every public RPC called as PostgREST would call it, in a transaction that is rolled back."""
    if not _has_roles(conn) or not api_check.may_act_as_api_roles(conn):
        diagnosis.add("api", None, f"not judged: {_scalar(conn, 'select current_user')} may not act as the API roles "
                      "(connect as the deploying role, e.g. postgres, to call the RPCs)")
        return
    try:
        results = api_check.call_every_rpc(conn)
    except api_check.ProbeSetupError as exc:
        diagnosis.add("api", False, f"cannot make the rolled-back caller of the RPC calls: {exc}",
                      "connect as the deploying role; if it is, the package's tables are not as deployed: " + MIGRATE)
        return
    failed = [r.describe() for r in results if not r.ok]
    unprobed = api_check.unprobed(drift.scope_of(project, read_function_files(project)).functions)
    if failed:
        diagnosis.add("api", False, f"{len(failed)} of {len(results)} RPC calls (rolled back) answered wrongly: "
                      + " | ".join(failed), MIGRATE)
    else:
        called = len({r.probe.function for r in results})
        summary = f"{len(results)} calls of {called} RPCs (rolled back) answered as a working deployment does"
        if unprobed:
            summary += f"; not called: {', '.join(unprobed)}"
        diagnosis.add("api", True, summary)


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
    hidden = _scalar(
        conn,
        "select not (r.rolsuper or r.rolbypassrls or pg_has_role(c.relowner, 'usage')) and c.relrowsecurity "
        "from pg_roles as r, pg_class as c where r.rolname = current_user and c.oid = 'public.platform_languages'::regclass",
    )
    if hidden:
        diagnosis.add("seed", None, f"not judged: row level security hides reference rows from "
                      f"{_scalar(conn, 'select current_user')} (connect as the deploying role to check the seed)")
        return
    languages = int(str(_scalar(conn, "select count(*) from public.platform_languages where code = any (%s)", codes)))
    templates = int(str(_scalar(conn, "select count(*) from public.interview_templates where id::text = any (%s)", ids)))
    summary = f"{languages} of {len(codes)} languages, {templates} of {len(ids)} templates"
    if languages == len(codes) and templates == len(ids):
        diagnosis.add("seed", True, summary)
    else:
        diagnosis.add("seed", False, summary, fix)


# Only what a relay may send counts as due (an enabled endpoint's pending delivery),
# and its age runs from when it became due (next_attempt_at: after its backoff, or
# when a dead relay's lease ended), not from its creation.
WEBHOOK_BACKLOG_SQL = """
select count(*) filter (where d.status = 'pending' and e.enabled and d.next_attempt_at <= now()) as due,
       count(*) filter (where d.status = 'pending' and e.enabled and d.attempts > 0) as retrying,
       count(*) filter (where d.status = 'dead') as dead,
       coalesce(extract(epoch from now() - min(d.next_attempt_at) filter (
         where d.status = 'pending' and e.enabled and d.next_attempt_at <= now())), 0)::float8 as oldest_due_seconds,
       count(*) filter (where d.status = 'pending' and not e.enabled) as held
from interview_private.webhook_deliveries as d
join public.webhook_endpoints as e on e.id = d.endpoint_id
where d.status <> 'delivered'
"""
RELAY = 'interview-db relay --database-url "$DATABASE_URL"'
WEBHOOK_STALE_SECONDS = 15 * 60  # due this long and still undelivered: no relay is running


def _webhooks(conn: psycopg.Connection, diagnosis: Diagnosis) -> None:
    """The webhook backlog: due (what a relay may send now), retrying, dead, held by
    disabled endpoints, and how long the oldest due delivery has been due."""
    if _scalar(conn, "select to_regclass('interview_private.webhook_deliveries') is null"):
        return  # not deployed yet: the deployment check says what to run
    row = conn.execute(WEBHOOK_BACKLOG_SQL).fetchone()
    assert row is not None
    due, retrying, dead, oldest, held = int(row[0]), int(row[1]), int(row[2]), float(row[3]), int(row[4])
    summary = f"{due} due, {retrying} retrying, {dead} dead"
    if held:
        summary += f", {held} held by disabled endpoints"
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
    except DeployError as exc:
        diagnosis.add("reachable", False, str(exc),
                      "check the URL, password and network; on Supabase use the direct connection (port 5432)")
        return diagnosis
    with conn:
        try:
            diagnosis.add("reachable", True, f"connected as {_scalar(conn, 'select current_user')}")
            _server(conn, diagnosis)
            _platform(conn, diagnosis)
            update = _deployment(conn, url, project, diagnosis)
            if update is not None:
                _exposure(conn, project, diagnosis, update)
                _api(conn, project, diagnosis)
                _seed(conn, project, diagnosis, update)
                _webhooks(conn, diagnosis)
            _plpgsql_check(conn, diagnosis)
        except psycopg.Error as exc:
            message = exc.diag.message_primary or type(exc).__name__
            diagnosis.add("catalog", False, redact(f"cannot read the catalog: {message}", url),
                          "connect as the role that deployed the package (e.g. postgres)")
    return diagnosis
