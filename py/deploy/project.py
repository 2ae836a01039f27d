"""Where the package's SQL, seeds and examples live."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path


class ProjectNotFound(RuntimeError):
    """The project tree (sql/migrations and friends) is not where we looked."""


@dataclass(frozen=True)
class Project:
    """The files of the package: migrations, functions, seeds, shim, examples."""

    root: Path

    @property
    def migrations_dir(self) -> Path:
        return self.root / "sql" / "migrations"

    @property
    def functions_dir(self) -> Path:
        return self.root / "sql" / "functions"

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
        return self.root / "openapi" / "job_interview_create_from_array.json"

    def migration_files(self) -> list[Path]:
        return sorted(
            p for p in self.migrations_dir.glob("*.sql") if not p.name.endswith(".rollback.sql")
        )

    def function_files(self) -> list[Path]:
        return sorted(self.functions_dir.glob("*.sql"))

    def sql_files(self) -> list[Path]:
        """Every SQL file of the package, for the linter."""
        files = [*sorted(self.migrations_dir.glob("*.sql")), *self.function_files()]
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


def find_project(root: Path | None = None) -> Project:
    """The project at ``root``, ``$INTERVIEW_DB_PROJECT``, or the checkout this package runs from."""
    candidates = [root] if root else []
    if os.environ.get("INTERVIEW_DB_PROJECT"):
        candidates.append(Path(os.environ["INTERVIEW_DB_PROJECT"]))
    candidates.append(Path(__file__).resolve().parents[2])
    for candidate in candidates:
        if candidate and (candidate / "sql" / "migrations").is_dir():
            return Project(candidate.resolve())
    raise ProjectNotFound(
        "cannot find the project's sql/migrations; run from a checkout installed with "
        "`pip install -e .`, or set INTERVIEW_DB_PROJECT to the checkout"
    )
