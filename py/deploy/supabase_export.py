"""The package as Supabase CLI migrations, for `supabase db push`.

``interview-db migrate`` is one way to deploy; a project that manages its
database with the Supabase CLI takes the package as migration files instead:

* each yoyo migration ``sql/migrations/NNNN_name.sql`` becomes
  ``<version>_interview_NNNN_name.sql``;
* the function files ``sql/functions/*.sql`` become one
  ``<version>_interview_functions.sql`` after them (a *revision*);
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

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pglast
import psycopg
from pglast import ast
from pglast.enums.parsenodes import FunctionParameterMode
from pglast.stream import RawStream

from .project import Project
from .seeds import seed_script

DEFAULT_BASE = "20250101000000"
NAME_PREFIX = "interview_"
FUNCTIONS_NAME = "interview_functions"
SEED_FILE = "seed.sql"
MAX_REVISIONS_PER_SLOT = 59  # minutes 1..59 of the hour after a migration

_VERSION_FORMAT = "%Y%m%d%H%M%S"
_CLI_FILE = re.compile(r"^(?P<version>[0-9]{14})_(?P<name>.+)\.sql$")
_YOYO_ID = re.compile(r"^(?P<number>[0-9]{4})_(?P<name>.+)$")
_DEFINITIONS_MARKER = "-- The function files of sql/functions/, dependencies first."
_INPUT_MODES = {
    FunctionParameterMode.FUNC_PARAM_IN,
    FunctionParameterMode.FUNC_PARAM_INOUT,
    FunctionParameterMode.FUNC_PARAM_VARIADIC,
    FunctionParameterMode.FUNC_PARAM_DEFAULT,
}

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


class ExportError(RuntimeError):
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

    @property
    def changed(self) -> bool:
        return bool(self.written)


@dataclass
class PushedState:
    """The package's migrations in a database's Supabase CLI history."""

    history: bool = False  # supabase_migrations.schema_migrations exists
    applied: list[str] = field(default_factory=list)  # yoyo ids
    pending: list[str] = field(default_factory=list)
    edited: list[str] = field(default_factory=list)
    functions_version: str | None = None  # the newest interview_functions revision applied
    functions_drifted: bool = False

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


def _defined_functions(text: str) -> list[str]:
    """``schema.name(argtypes)`` of every function a SQL text creates."""
    signatures = []
    for raw in pglast.parse_sql(text):
        stmt = raw.stmt
        if isinstance(stmt, ast.CreateFunctionStmt):
            name = ".".join(n.sval for n in stmt.funcname or ())
            types = [RawStream()(p.argType) for p in stmt.parameters or () if p.mode in _INPUT_MODES]
            signatures.append(f"{name}({', '.join(types)})")
    return signatures


def _dependency_order(files: list[Path]) -> list[Path]:
    """Function files with each file's dependencies first (name order otherwise).

    sql-language bodies are checked at creation, so a file that calls a
    function of another file must come after it. A cycle (possible between
    plpgsql functions, which are checked only when they run) keeps name order;
    the revision also turns the check off for its own transaction.
    """
    texts = {path: path.read_text(encoding="utf-8") for path in files}
    names = {path: {sig.split("(")[0] for sig in _defined_functions(text)} for path, text in texts.items()}
    needs: dict[Path, set[Path]] = {}
    for path, text in texts.items():
        needs[path] = {
            other
            for other, defined in names.items()
            if other != path and any(re.search(rf"(?<![\w.]){re.escape(n)}\s*\(", text) for n in defined)
        }
    ordered: list[Path] = []
    remaining = sorted(files)
    while remaining:
        ready = [p for p in remaining if needs[p] <= set(ordered)] or remaining[:1]
        ordered.append(ready[0])
        remaining.remove(ready[0])
    return ordered


def functions_definitions(project: Project) -> str:
    """The function files as one SQL text: the definitions part of a revision."""
    parts = [_DEFINITIONS_MARKER, ""]
    for path in _dependency_order(project.function_files()):
        parts += [f"-- sql/functions/{path.name}", path.read_text(encoding="utf-8").rstrip("\n"), ""]
    return "\n".join(parts)


def _functions_revision(definitions: str, drops: list[str]) -> str:
    lines = [
        "-- interview-db: the package's functions, exported for the Supabase CLI (`supabase db push`).",
        "-- Generated by `interview-db export-supabase` from sql/functions/; do not edit. A later",
        "-- change of a function file is exported as a new revision of this file, never as an edit.",
        "--",
        "-- Function bodies are checked when they run, not when they are created (as pg_dump",
        "-- does); `supabase db lint` checks the plpgsql ones. The CLI applies this file in one",
        "-- transaction, which `set local` is limited to.",
        "set local check_function_bodies = off;",
        "",
    ]
    if drops:
        lines.append("-- Functions that the function files no longer define.")
        lines += [f"drop function if exists {signature};" for signature in drops]
        lines.append("")
    return "\n".join(lines) + "\n" + definitions


def _definitions_of(revision_text: str) -> str | None:
    index = revision_text.find(_DEFINITIONS_MARKER)
    return revision_text[index:] if index >= 0 else None


def _table_migration(path: Path, base: datetime) -> CliMigration:
    number, name = _migration_number(path.stem)
    source = f"sql/migrations/{path.name}"
    header = (
        f"-- interview-db: {source}, exported for the Supabase CLI (`supabase db push`).\n"
        "-- Generated by `interview-db export-supabase`; do not edit.\n"
    )
    return CliMigration(_version(base, number), f"{NAME_PREFIX}{path.stem}", header + path.read_text(encoding="utf-8"), source)


# -- export ------------------------------------------------------------------


def _existing_files(directory: Path) -> dict[str, str]:
    if not directory.is_dir():
        return {}
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.sql")) if _CLI_FILE.match(p.name)}


def plan(project: Project, existing: dict[str, str], base: str = DEFAULT_BASE) -> tuple[list[CliMigration], list[str]]:
    """The package's migration files given the files already in the target
    directory: (every file in push order, the names that are new or changed)."""
    start = parse_base(base)
    migrations = [_table_migration(path, start) for path in project.migration_files()]
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
        if clash is None:
            changed.append(migration.filename)
        elif statements(existing[clash]) != statements(migration.text):
            raise ExportError(
                f"{clash} differs from {migration.source}: a migration never changes once it was pushed. "
                "Restore the migration and add a new one instead"
            )

    last_number = _migration_number(project.migration_files()[-1].stem)[0]
    definitions = functions_definitions(project)
    revisions = sorted(n for n in existing if n.endswith(f"_{FUNCTIONS_NAME}.sql"))
    files = list(migrations)
    for name in revisions:
        files.append(CliMigration(name[:14], FUNCTIONS_NAME, existing[name], "an earlier export of sql/functions"))
    latest = _definitions_of(existing[revisions[-1]]) if revisions else None
    if latest is None or statements(latest) != statements(definitions):
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
        dropped = [s for s in _defined_functions(latest) if s not in set(_defined_functions(definitions))] if latest else []
        revision = CliMigration(version, FUNCTIONS_NAME, _functions_revision(definitions, dropped), "sql/functions")
        files.append(revision)
        changed.append(revision.filename)
    return sorted(files, key=lambda m: m.version), changed


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
    existing = _existing_files(directory)
    files, changed = plan(project, existing, base)
    directory.mkdir(parents=True, exist_ok=True)
    result = ExportResult(directory=str(directory))
    for migration in files:
        result.migrations.append(migration.filename)
        if migration.filename in changed:
            progress(f"writing {migration.filename} ({migration.source})")
            (directory / migration.filename).write_text(migration.text, encoding="utf-8")
            result.written.append(migration.filename)
        else:
            result.unchanged.append(migration.filename)
    seed_file = seed_path or directory / SEED_FILE
    text = seed_script(project)
    if not seed_file.exists() or seed_file.read_text(encoding="utf-8") != text:
        progress(f"writing {seed_file.name} (sql/seeds)")
        seed_file.parent.mkdir(parents=True, exist_ok=True)
        seed_file.write_text(text, encoding="utf-8")
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
    recorded = {str(name): _recorded(stmts) for _, name, stmts in rows if name != FUNCTIONS_NAME}
    start = parse_base(DEFAULT_BASE)  # only the names and texts matter here, not the versions
    for path in project.migration_files():
        migration = _table_migration(path, start)
        if migration.name not in recorded:
            state.pending.append(path.stem)
            continue
        state.applied.append(path.stem)
        if recorded[migration.name] != statements(migration.text):
            state.edited.append(path.stem)
    revisions = [(str(version), _recorded(stmts)) for version, name, stmts in rows if name == FUNCTIONS_NAME]
    if revisions:
        state.functions_version, applied = revisions[-1]
        expected = statements(functions_definitions(project))
        state.functions_drifted = applied[len(applied) - len(expected):] != expected
    return state


def _recorded(stored: list[str]) -> list[str]:
    """The CLI's recorded statements (each with its leading comments), normalised like ``statements``."""
    return [s for raw in stored for s in statements(raw)]
