"""The package as Supabase CLI migrations, for `supabase db push`.

``interview-db migrate`` is one way to deploy; a project that manages its
database with the Supabase CLI takes the package as migration files instead:

* each yoyo migration ``sql/migrations/NNNN_name.sql`` becomes
  ``<version>_interview_NNNN_name.sql``;
* the type files ``sql/types/*.sql`` and the function files ``sql/functions/*.sql``
  become one ``<version>_interview_functions.sql`` after them (a *revision*): it
  drops the types and creates them again before every function (a table that uses
  one of them stops the push, as ``migrate`` refuses it);
* the seed files become one ``seed.sql`` of upserts (see seeds.seed_script).

Versions are the CLI's 14-digit UTC timestamps, derived from a fixed base and
never from the clock, so an unchanged tree exports byte-identical files:
migration ``NNNN`` is ``base + NNNN hours``, and revision ``k`` of the
function files after migration ``NNNN`` is ``base + NNNN hours + (k + 1)
minutes``. The CLI records what it applied by version, and applies a version
once, so a migration file never changes after it was pushed. When the function
files change, exporting into the same directory (your ``supabase/migrations``)
keeps the earlier revisions and adds a new one, which also drops the functions
that no longer exist; an unchanged tree adds nothing.

The local shim (supabase/shim.sql, supabase/pgcrypto_fallback.sql) is never
exported: a Supabase database has the real roles, ``auth`` and pgcrypto. Nor is
interview-db's own bookkeeping: the CLI keeps its history in
``supabase_migrations.schema_migrations``, which ``pushed_state`` reads.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pglast
import psycopg

from . import drift
from .db import DeployError
from .functions import FunctionFile, function_headers, package_function_names, read_function_files
from .owned_types import TypeFile, read_type_files
from .project import Project
from .seeds import seed_script
from .shim import MIGRATION_SEARCH_PATH

DEFAULT_BASE = "20250101000000"
NAME_PREFIX = "interview_"
FUNCTIONS_NAME = "interview_functions"
SEED_FILE = "seed.sql"
MAX_REVISIONS_PER_SLOT = 59  # minutes 1..59 of the hour after a migration

_VERSION_FORMAT = "%Y%m%d%H%M%S"
_CLI_FILE = re.compile(r"^(?P<version>[0-9]{14})_(?P<name>.+)\.sql$")
_YOYO_ID = re.compile(r"^(?P<number>[0-9]{4})_(?P<name>.+)$")
_DEFINITIONS_MARKER = "-- The function files of sql/functions/, dependencies first."
_RECORD_MARKER = "-- interview-db: record the catalog's fingerprint of the package (doctor compares with it)."
SEARCH_PATH_STATEMENT = f"set local search_path = {MIGRATION_SEARCH_PATH}"
# Statements an export adds around the package's own SQL; they are left out when an
# exported file is compared with what was pushed, so files pushed by an earlier
# export (without them, or with another scope) still compare equal.
_ADDED_PREFIXES = (
    SEARCH_PATH_STATEMENT,
    f"create schema if not exists {drift.BOOKKEEPING_SCHEMA}",
    f"revoke all on schema {drift.BOOKKEEPING_SCHEMA} from public",
    f"create table if not exists {drift.FINGERPRINT_TABLE}",
    f"delete from {drift.FINGERPRINT_TABLE}",
    f"insert into {drift.FINGERPRINT_TABLE}",
)

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


class ExportError(DeployError):
    """The export cannot be written as asked; the message says why and what to do."""


@dataclass(frozen=True)
class CliMigration:
    """One migration file of the Supabase CLI."""

    version: str
    name: str
    text: str
    source: str

    @property
    def filename(self) -> str:
        return f"{self.version}_{self.name}.sql"


@dataclass
class ExportResult:
    """What one export wrote, left as it was, or kept from earlier exports."""

    directory: str
    migrations: list[str] = field(default_factory=list)  # every file of the package, in push order
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    seed_file: str = ""
    completed: list[str] = field(default_factory=list)  # left incomplete by an earlier export, written again

    @property
    def changed(self) -> bool:
        return bool(self.written)


@dataclass
class PushedState:
    """The package's migrations in a database's Supabase CLI history."""

    history: bool = False  # supabase_migrations.schema_migrations exists
    applied: list[str] = field(default_factory=list)  # yoyo ids
    versions: dict[str, str] = field(default_factory=dict)  # yoyo id -> the CLI's version it was pushed as
    unknown: list[str] = field(default_factory=list)  # pushed migrations this checkout does not have
    pending: list[str] = field(default_factory=list)
    edited: list[str] = field(default_factory=list)
    functions_version: str | None = None  # the newest interview_functions revision applied
    functions_drifted: bool = False
    functions_statements: list[str] = field(default_factory=list)  # what that revision ran, normalised

    @property
    def deployed(self) -> bool:
        return bool(self.applied or self.functions_version)


# -- versions ----------------------------------------------------------------


def parse_base(base: str) -> datetime:
    """A 14-digit UTC timestamp (YYYYMMDDHHMMSS), as the CLI names migrations."""
    try:
        if not re.fullmatch(r"[0-9]{14}", base):
            raise ValueError
        return datetime.strptime(base, _VERSION_FORMAT).replace(tzinfo=UTC)
    except ValueError as exc:
        raise ExportError(f"base timestamp must be 14 digits, YYYYMMDDHHMMSS (UTC), got {base!r}") from exc


def _version(base: datetime, number: int, revision: int | None = None) -> str:
    moment = base + timedelta(hours=number)
    if revision is not None:
        moment += timedelta(minutes=revision + 1)
    return moment.strftime(_VERSION_FORMAT)


def _migration_number(migration_id: str) -> tuple[int, str]:
    match = _YOYO_ID.match(migration_id)
    if match is None:
        raise ExportError(f"migration {migration_id} is not named NNNN_name.sql")
    return int(match["number"]), match["name"]


# -- SQL ---------------------------------------------------------------------


def statements(text: str) -> list[str]:
    """The statements of a SQL text as the Supabase CLI records them, without
    their leading comment lines (so that a header's wording does not count)."""
    found = []
    for statement in pglast.split(text, with_parser=False):
        lines = statement.strip().split("\n")
        while lines and (not lines[0].strip() or lines[0].lstrip().startswith("--")):
            lines.pop(0)
        if lines:
            found.append("\n".join(lines).strip())
    return found


def package_statements(text: str) -> list[str]:
    """``statements`` without those an export adds (search_path, fingerprint)."""
    return [s for s in statements(text) if not s.startswith(_ADDED_PREFIXES)]


def _read_functions(project: Project) -> list[FunctionFile]:
    try:
        return read_function_files(project)
    except DeployError as exc:
        raise ExportError(str(exc)) from None


def _read_types(project: Project) -> list[TypeFile]:
    try:
        return read_type_files(project)
    except DeployError as exc:
        raise ExportError(str(exc)) from None


def _array(names: list[str], cast: str) -> str:
    return "array[" + ", ".join(f"'{n}'" for n in names) + f"]::{cast}"


def types_definitions(types: list[TypeFile], files: list[FunctionFile]) -> list[str]:
    """The type files, dropped (refused when anything but the package's functions uses one)
    and created again: every function that took one is created again after them."""
    if not types:
        return []
    names = [t.qualified_name for t in types]
    regtypes = "array[" + ", ".join(f"pg_catalog.to_regtype('{n}')" for n in names) + "]"
    guard = f"""do $types$
declare
  v_users text;
begin
  select pg_catalog.string_agg(pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid), ', ')
    into v_users
  from pg_catalog.pg_type as t
  join pg_catalog.pg_depend as d on d.refclassid = 'pg_catalog.pg_type'::pg_catalog.regclass
   and d.refobjid in (t.oid, t.typarray) and d.deptype = 'n'
  left join pg_catalog.pg_class as c on d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass and c.oid = d.objid
  left join pg_catalog.pg_proc as p on d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass and p.oid = d.objid
  where t.oid = any({regtypes})
    and not coalesce(c.relkind = 'c' and c.reltype = any({regtypes}), false)
    and not coalesce(p.pronamespace::pg_catalog.regnamespace::text operator(pg_catalog.||) '.'
                     operator(pg_catalog.||) p.proname = any({_array(package_function_names(files), 'text[]')}), false);
  if v_users is not null then
    raise exception 'interview-db: % uses a type of sql/types, which the package creates again here: a type a table uses belongs in a migration', v_users;
  end if;
end
$types$;"""
    parts = ["-- The type files of sql/types/: dropped with the functions that take or return them",
             "-- (created again below) and created again.", guard]
    parts += [f"drop type if exists {name} cascade;" for name in reversed(names)]
    parts.append("")
    for t in types:
        parts += [f"-- {t.label}", t.text.rstrip("\n"), ""]
    return parts


def functions_definitions(
    project: Project, files: list[FunctionFile] | None = None, types: list[TypeFile] | None = None,
) -> str:
    """The type and function files as one SQL text, in the order `migrate` runs them: the
    definitions part of a revision."""
    files = files if files is not None else _read_functions(project)
    parts = [_DEFINITIONS_MARKER, ""]
    parts += types_definitions(types if types is not None else _read_types(project), files)
    for file in files:
        parts += [f"-- {file.label}", file.text.rstrip("\n"), ""]
    return "\n".join(parts)


def _record(scope: drift.Scope) -> str:
    return f"\n{_RECORD_MARKER}\n{drift.record_sql(scope)}"


def _functions_revision(definitions: str, drops: list[str], scope: drift.Scope) -> str:
    lines = [
        "-- interview-db: the package's functions, exported for the Supabase CLI (`supabase db push`).",
        "-- Generated by `interview-db export-supabase` from sql/functions/; do not edit. A later",
        "-- change of a function file is exported as a new revision of this file, never as an edit.",
        "--",
        "-- Function bodies are checked when they run, not when they are created (as pg_dump",
        "-- does); `supabase db lint` checks the plpgsql ones. The CLI applies this file in one",
        "-- transaction, which `set local` is limited to.",
        "set local check_function_bodies = off;",
        f"{SEARCH_PATH_STATEMENT};",
        "",
    ]
    if drops:
        lines.append("-- Functions that the function files no longer define, or define with another return type,")
        lines.append("-- parameter names or defaults (create or replace cannot change those): dropped, then created below.")
        lines += [f"drop function if exists {signature};" for signature in drops]
        lines.append("")
    return "\n".join(lines) + "\n" + definitions + _record(scope)


def _definitions_of(revision_text: str) -> str | None:
    index = revision_text.find(_DEFINITIONS_MARKER)
    if index < 0:
        return None
    end = revision_text.find(_RECORD_MARKER, index)
    return revision_text[index:end] if end >= 0 else revision_text[index:]


def _table_migration(path: Path, base: datetime, scope: drift.Scope | None = None) -> CliMigration:
    number, name = _migration_number(path.stem)
    source = f"sql/migrations/{path.name}"
    header = (
        f"-- interview-db: {source}, exported for the Supabase CLI (`supabase db push`).\n"
        "-- Generated by `interview-db export-supabase`; do not edit. It runs with the search_path\n"
        "-- of `interview-db migrate`: every name resolves in pg_catalog first, pg_temp last.\n"
        f"{SEARCH_PATH_STATEMENT};\n\n"
    )
    text = header + path.read_text(encoding="utf-8")
    if scope is not None:
        text = text.rstrip("\n") + "\n" + _record(scope)
    return CliMigration(_version(base, number), f"{NAME_PREFIX}{path.stem}", text, source)


# -- export ------------------------------------------------------------------


def _existing_files(directory: Path) -> dict[str, str]:
    if not directory.is_dir():
        return {}
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.sql")) if _CLI_FILE.match(p.name)}


def _refuse_newer(project: Project, existing: dict[str, str]) -> None:
    """An export directory that holds migrations this checkout lacks was exported from a newer release."""
    ours = {f"{NAME_PREFIX}{p.stem}" for p in project.migration_files()}
    theirs = sorted(
        m["name"] for n in existing
        if (m := _CLI_FILE.match(n)) and m["name"].startswith(NAME_PREFIX) and m["name"] != FUNCTIONS_NAME
        and m["name"] not in ours
    )
    if theirs:
        newest = theirs[-1][len(NAME_PREFIX):]
        raise ExportError(
            f"the target directory holds {', '.join(t[len(NAME_PREFIX):] for t in theirs)}, which this checkout does "
            f"not have: it was exported from a newer release (schema {newest}); this checkout has schema "
            f"{project.schema_version or 'none'}. Export from that release or a newer one"
        )


def _redefined(previous: str, current: list[FunctionFile]) -> list[str]:
    """Signatures (as the previous revision wrote them) that the new definitions drop or
    create with another shape: create or replace cannot change a return type, parameter
    names or defaults, so the revision drops them first."""
    now = {h.signature: h for f in current for h in f.defines}
    return [h.signature for h in function_headers(previous) if h.signature not in now or now[h.signature].shape != h.shape]


def plan(project: Project, existing: dict[str, str], base: str = DEFAULT_BASE) -> tuple[list[CliMigration], list[str]]:
    """The package's migration files given the files already in the target
    directory: (every file in push order, the names that are new or changed)."""
    start = parse_base(base)
    try:
        project.check_migration_numbers()
    except DeployError as exc:
        raise ExportError(str(exc)) from None
    _refuse_newer(project, existing)
    function_files = _read_functions(project)
    scope = drift.scope_of(project, function_files)
    migrations = [_table_migration(path, start, scope) for path in project.migration_files()]
    if not migrations:
        raise ExportError(f"no migrations in {project.migrations_dir}")
    by_version = {name[:14]: name for name in existing}
    changed: list[str] = []
    for migration in migrations:
        same_name = [n for n in existing if n.endswith(f"_{migration.name}.sql")]
        for other in same_name:
            if other != migration.filename:
                raise ExportError(
                    f"{other} in the target directory is {migration.source} exported with another base "
                    f"timestamp: export with the --base-timestamp it was exported with (a migration NNNN is "
                    "NNNN hours after it), or into another directory"
                )
        clash = by_version.get(migration.version)
        if clash is not None and clash != migration.filename:
            raise ExportError(
                f"{clash} in the target directory has the version of {migration.filename}; choose another --base-timestamp"
            )
        if clash is None or _truncated(existing[clash], migration.text):
            changed.append(migration.filename)
        elif package_statements(existing[clash]) != package_statements(migration.text):
            raise ExportError(
                f"{clash} differs from {migration.source}: a migration never changes once it was pushed. "
                "Restore the migration and add a new one instead"
            )

    last_number = _migration_number(project.migration_files()[-1].stem)[0]
    definitions = functions_definitions(project, function_files)
    revisions = sorted(n for n in existing if n.endswith(f"_{FUNCTIONS_NAME}.sql"))
    if revisions:
        # the newest revision cut short by an earlier export (a full disk, a kill): write it whole again
        before = _definitions_of(existing[revisions[-2]]) if len(revisions) > 1 else None
        try:
            whole = _functions_revision(definitions, _redefined(before, function_files) if before else [], scope)
        except pglast.parser.ParseError:
            whole = None
        if whole is not None and _truncated(existing[revisions[-1]], whole):
            existing = {**existing, revisions[-1]: whole}
            changed.append(revisions[-1])
    files = list(migrations)
    for name in revisions:
        files.append(CliMigration(name[:14], FUNCTIONS_NAME, existing[name], "an earlier export of sql/functions"))
    latest = _definitions_of(existing[revisions[-1]]) if revisions else None
    if latest is None or package_statements(latest) != package_statements(definitions):
        first, last = _version(start, last_number, 0), _version(start, last_number, MAX_REVISIONS_PER_SLOT - 1)
        slot = [n for n in revisions if first <= n[:14] <= last]
        if len(slot) >= MAX_REVISIONS_PER_SLOT:
            raise ExportError(
                f"{MAX_REVISIONS_PER_SLOT} revisions of the function files follow migration {last_number:04d} already; "
                "add a migration (even an empty one) before exporting another"
            )
        version = _version(start, last_number, len(slot))
        if revisions and version <= revisions[-1][:14]:
            raise ExportError(
                f"the newest revision of the function files, {revisions[-1]}, is newer than its place after "
                f"migration {last_number:04d}"
            )
        clash = by_version.get(version)
        if clash is not None:
            raise ExportError(f"{clash} in the target directory has the version of the next revision of the function files")
        try:
            dropped = _redefined(latest, function_files) if latest else []
        except pglast.parser.ParseError as exc:
            raise ExportError(f"{revisions[-1]} in the target directory does not parse: {exc.args[0]}") from None
        revision = CliMigration(version, FUNCTIONS_NAME, _functions_revision(definitions, dropped, scope), "sql/functions")
        files.append(revision)
        changed.append(revision.filename)
    return sorted(files, key=lambda m: m.version), changed


def _truncated(on_disk: str, whole: str) -> bool:
    """A file an export began and never finished: a strict beginning (empty included) of what it writes."""
    return on_disk != whole and whole.startswith(on_disk)


TEMP_PREFIX = ".interview-db-"  # a name the Supabase CLI never reads as a migration


def write_atomically(path: Path, text: str) -> None:
    """``text`` to ``path`` through a temporary file beside it, flushed, then renamed:
    the file is either whole or absent, whatever happens mid-write (a full disk, a kill)."""
    temp = path.with_name(f"{TEMP_PREFIX}{path.name}.{os.getpid()}.tmp")
    try:
        with open(temp, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}; nothing of it was left behind") from None


def _remove_stale_temporaries(directory: Path) -> None:
    for stale in directory.glob(f"{TEMP_PREFIX}*.tmp"):
        stale.unlink(missing_ok=True)


def default_seed_path(directory: Path) -> Path:
    """Where the CLI reads the seed: supabase/seed.sql beside supabase/migrations (never inside it)."""
    return directory.parent / SEED_FILE if directory.name == "migrations" else directory / SEED_FILE


def export_supabase(
    project: Project,
    directory: Path,
    *,
    base: str = DEFAULT_BASE,
    seed_path: Path | None = None,
    progress: Progress = _quiet,
) -> ExportResult:
    """Write the package's CLI migrations into ``directory`` and the seed next to them
    (or to ``seed_path``); files of earlier exports are kept, others left alone."""
    if directory.exists() and not directory.is_dir():
        raise ExportError(f"{directory} is not a directory")
    try:
        existing = _existing_files(directory)
        files, changed = plan(project, existing, base)
        directory.mkdir(parents=True, exist_ok=True)
        _remove_stale_temporaries(directory)
    except OSError as exc:
        raise ExportError(f"cannot export into {directory}: {exc.strerror or exc}") from None
    result = ExportResult(directory=str(directory))
    for migration in files:
        result.migrations.append(migration.filename)
        if migration.filename in changed:
            if migration.filename in existing:
                progress(f"writing {migration.filename} again: an earlier export left it incomplete "
                         f"({len(existing[migration.filename].encode())} bytes); if it was pushed like that, "
                         "see README (Deploy)")
                result.completed.append(migration.filename)
            else:
                progress(f"writing {migration.filename} ({migration.source})")
            write_atomically(directory / migration.filename, migration.text)
            result.written.append(migration.filename)
        else:
            result.unchanged.append(migration.filename)
    seed_file = seed_path or default_seed_path(directory)
    text = seed_script(project)
    try:
        stale = not seed_file.exists() or seed_file.read_text(encoding="utf-8") != text
        if stale:
            seed_file.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"cannot write the seed to {seed_file}: {exc.strerror or exc}") from None
    if stale:
        progress(f"writing {seed_file.name} (sql/seeds)")
        write_atomically(seed_file, text)
        result.written.append(str(seed_file.name))
    result.seed_file = str(seed_file)
    return result


# -- what a database's CLI history says ---------------------------------------


def deployed_by_cli(conn: psycopg.Connection) -> bool:
    """Whether `supabase db push` applied migrations of the package here."""
    return bool(
        conn.execute(
            "select to_regclass('supabase_migrations.schema_migrations') is not null"
        ).fetchone()[0]  # type: ignore[index]
        and conn.execute(
            "select exists (select from supabase_migrations.schema_migrations where name like %s)",
            (NAME_PREFIX.replace("_", r"\_") + "%",),
        ).fetchone()[0]  # type: ignore[index]
    )


def pushed_state(conn: psycopg.Connection, project: Project) -> PushedState:
    """The package's migrations recorded by `supabase db push` in this database,
    compared with what an export of this checkout holds."""
    state = PushedState()
    state.history = bool(
        conn.execute("select to_regclass('supabase_migrations.schema_migrations') is not null").fetchone()[0]  # type: ignore[index]
    )
    if not state.history:
        state.pending = [p.stem for p in project.migration_files()]
        return state
    rows = conn.execute(
        "select version, name, coalesce(statements, '{}') from supabase_migrations.schema_migrations "
        "where name like %s order by version",
        (NAME_PREFIX.replace("_", r"\_") + "%",),
    ).fetchall()
    recorded = {str(name): (str(version), _recorded(stmts)) for version, name, stmts in rows if name != FUNCTIONS_NAME}
    start = parse_base(DEFAULT_BASE)  # only the names and texts matter here, not the versions
    for path in project.migration_files():
        migration = _table_migration(path, start)
        if migration.name not in recorded:
            state.pending.append(path.stem)
            continue
        version, applied = recorded[migration.name]
        state.applied.append(path.stem)
        state.versions[path.stem] = version
        if applied != package_statements(migration.text):
            state.edited.append(path.stem)
    ours = {f"{NAME_PREFIX}{p.stem}" for p in project.migration_files()}
    state.unknown = sorted(name[len(NAME_PREFIX):] for name in recorded if name not in ours)
    revisions = [(str(version), _recorded(stmts)) for version, name, stmts in rows if name == FUNCTIONS_NAME]
    if revisions:
        state.functions_version, applied = revisions[-1]
        state.functions_statements = applied
        expected = package_statements(functions_definitions(project))
        state.functions_drifted = applied[len(applied) - len(expected):] != expected
    return state


def pushed_function_states(pushed: PushedState, files: list[FunctionFile]) -> dict[str, str]:
    """Each function file's state in a database deployed by `supabase db push`, from the
    newest pushed revision of the function files: applied (every statement of the file
    was in it), changed (the file defines a function it created, with other statements
    now), or new (none of its functions was pushed)."""
    ran = set(pushed.functions_statements)
    pushed_names: set[str] = set()
    for statement in pushed.functions_statements:
        if statement.lstrip().lower().startswith("create"):
            try:
                pushed_names |= {h.qualified_name for h in function_headers(statement)}
            except pglast.parser.ParseError:
                continue
    states: dict[str, str] = {}
    for file in files:
        own = package_statements(file.text)
        if own and all(statement in ran for statement in own):
            states[file.name] = "applied"
        elif any(h.qualified_name in pushed_names for h in file.defines):
            states[file.name] = "changed"
        else:
            states[file.name] = "new"
    return states


def _recorded(stored: list[str]) -> list[str]:
    """The CLI's recorded statements (each with its leading comments), normalised like ``package_statements``."""
    return [s for raw in stored for s in package_statements(raw)]
