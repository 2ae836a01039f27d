"""Where the package's SQL, seeds, Supabase files and examples live.

Two homes, one layout (sql/ with migrations, types, functions and seeds, supabase/, openapi/, examples/):

* a checkout (``pip install -e .``): the repository's own folders, so that a
  developer's edits are what ``migrate`` deploys;
* an installed wheel: the same folders, carried inside the package as
  ``interview_db/_data`` and found through ``importlib.resources``.
"""

from __future__ import annotations

import importlib.resources
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .db import DeployError

DATA_PACKAGE = "_data"  # interview_db/_data in a wheel
# The RPC this package serves: its one name, for every module that calls or describes it.
RPC_SCHEMA = "public"
RPC_NAME = "job_interview_create_from_array"
_MIGRATION_ID = re.compile(r"^(?P<number>[0-9]{4})_(?P<name>.+)$")


class ProjectNotFound(RuntimeError):
    """The project tree (sql/migrations and friends) is not where we looked."""


class MigrationNumberError(DeployError):
    """Two migrations share a number, or one is not named NNNN_name.sql."""


@dataclass(frozen=True)
class Project:
    """The files of the package: migrations, functions, seeds, shim, examples.

    ``source`` says where they come from: ``checkout`` (a repository, its files
    as edited), ``wheel`` (an installed distribution) or ``directory`` (a tree
    named by INTERVIEW_DB_PROJECT or by a test)."""

    root: Path
    source: str = "directory"

    @property
    def migrations_dir(self) -> Path:
        return self.root / "sql" / "migrations"

    @property
    def functions_dir(self) -> Path:
        return self.root / "sql" / "functions"

    @property
    def types_dir(self) -> Path:
        """sql/types: the composite types only functions use, deployed with them (owned_types.py)."""
        return self.root / "sql" / "types"

    @property
    def seeds_dir(self) -> Path:
        return self.root / "sql" / "seeds"

    @property
    def shim_file(self) -> Path:
        return self.root / "supabase" / "shim.sql"

    @property
    def pgcrypto_fallback_file(self) -> Path:
        return self.root / "supabase" / "pgcrypto_fallback.sql"

    @property
    def supabase_config(self) -> Path:
        return self.root / "supabase" / "config.toml"

    @property
    def examples_dir(self) -> Path:
        return self.root / "examples"

    @property
    def openapi_file(self) -> Path:
        """The checked-in OpenAPI document of the RPC (`interview-db openapi` writes it)."""
        return self.root / "openapi" / f"{RPC_NAME}.json"

    def describe(self) -> str:
        return f"{self.source} {self.root}"

    def migration_files(self) -> list[Path]:
        return sorted(
            p for p in self.migrations_dir.glob("*.sql") if not p.name.endswith(".rollback.sql")
        )

    def check_migration_numbers(self) -> None:
        """Refuse two migrations with one number (0012_a, 0012_b): the order between
        them is an accident of their names, and the Supabase CLI export would give
        them one version."""
        seen: dict[str, str] = {}
        for path in self.migration_files():
            match = _MIGRATION_ID.match(path.stem)
            if match is None:
                raise MigrationNumberError(
                    f"sql/migrations/{path.name} is not named NNNN_name.sql (four digits, then a name)")
            number = match["number"]
            if number in seen:
                raise MigrationNumberError(
                    f"migrations {seen[number]} and {path.stem} share the number {number}: "
                    "renumber the one that has not landed yet after the newest migration")
            seen[number] = path.stem

    @property
    def schema_version(self) -> str:
        """The newest migration this tree deploys (its id, e.g. 0012_request_types), or '' when none."""
        files = self.migration_files()
        return files[-1].stem if files else ""

    def function_files(self) -> list[Path]:
        return sorted(self.functions_dir.glob("*.sql"))

    def type_files(self) -> list[Path]:
        return sorted(self.types_dir.glob("*.sql"))

    def sql_files(self) -> list[Path]:
        """Every SQL file of the package, for the linter."""
        files = [*sorted(self.migrations_dir.glob("*.sql")), *self.type_files(), *self.function_files()]
        files += sorted((self.root / "supabase").glob("*.sql"))
        return files

    def exposed_schemas(self) -> list[str]:
        """The schemas PostgREST serves, from supabase/config.toml ([api] schemas)."""
        try:
            config = tomllib.loads(self.supabase_config.read_text())
        except (OSError, tomllib.TOMLDecodeError):
            return ["public", "graphql_public"]
        schemas = config.get("api", {}).get("schemas", ["public", "graphql_public"])
        return [str(s) for s in schemas]


def _has_tree(path: Path) -> bool:
    return (path / "sql" / "migrations").is_dir()


def _wheel_data() -> Path | None:
    """interview_db/_data of an installed wheel (a checkout's editable install has none)."""
    data = importlib.resources.files(__package__ or "interview_db").joinpath(DATA_PACKAGE)
    path = Path(str(data))
    return path if isinstance(data, Path) and _has_tree(path) else None


def find_project(root: Path | None = None) -> Project:
    """The package's files: ``root``, else ``$INTERVIEW_DB_PROJECT``, else the
    checkout this code runs from, else the installed wheel's own copy."""
    explicit = root or (Path(os.environ["INTERVIEW_DB_PROJECT"]) if os.environ.get("INTERVIEW_DB_PROJECT") else None)
    if explicit is not None:
        if _has_tree(explicit):
            return Project(explicit.resolve(), "directory")
        raise ProjectNotFound(f"{explicit} has no sql/migrations: not an interview-db project tree")
    checkout = Path(__file__).resolve().parents[2]
    if _has_tree(checkout) and (checkout / "pyproject.toml").is_file():
        return Project(checkout, "checkout")
    data = _wheel_data()
    if data is not None:
        return Project(data, "wheel")
    raise ProjectNotFound(
        "cannot find the package's SQL files: this installation of interview-db carries no "
        "interview_db/_data and runs from no checkout; reinstall it (pip install interview-db)"
    )
