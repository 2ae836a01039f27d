"""The real Supabase CLI, installed from npm once per version into a temp dir,
and a Supabase project directory holding the package's export."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from interview_db.project import Project
from interview_db.supabase_export import ExportResult, export_supabase

from .npm_once import NpmUnavailable, install_once

SUPABASE_CLI_VERSION = "2.117.0"
CACHE_ROOT = Path(tempfile.gettempdir()) / "interview-db-supabase-cli"


class CliUnavailable(RuntimeError):
    """npm is missing, or the install failed."""


def install(version: str = SUPABASE_CLI_VERSION) -> Path:
    """The ``supabase`` program of ``npm i -E supabase@<version>``, installed once
    into ``<tmp>/interview-db-supabase-cli/<version>`` (later calls reuse it)."""
    try:
        target = install_once(CACHE_ROOT / version, [f"supabase@{version}"], "node_modules/.bin/supabase")
    except NpmUnavailable as exc:
        raise CliUnavailable(str(exc)) from exc
    return target / "node_modules" / ".bin" / "supabase"


def run(program: Path, *args: str, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    """The CLI as `npx supabase ...` would run it (npx runs node_modules/.bin/supabase),
    without telemetry and without prompts."""
    env = dict(os.environ, SUPABASE_TELEMETRY_DISABLED="1", DO_NOT_TRACK="1")
    return subprocess.run(
        [str(program), *args, "--yes"], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
        stdin=subprocess.DEVNULL, check=False,
    )


def cli_url(url: str) -> str:
    """The CLI connects with TLS unless told not to; the local cluster has none."""
    return url + ("&" if "?" in url else "?") + "sslmode=disable"


@dataclass(frozen=True)
class SupabaseProject:
    """A directory laid out as the CLI expects: supabase/config.toml,
    supabase/migrations/*.sql and supabase/seed.sql."""

    root: Path

    @property
    def migrations(self) -> Path:
        return self.root / "supabase" / "migrations"

    @property
    def seed_file(self) -> Path:
        return self.root / "supabase" / "seed.sql"

    def export(self, project: Project) -> ExportResult:
        return export_supabase(project, self.migrations, seed_path=self.seed_file)


def make_project(root: Path, project: Project) -> SupabaseProject:
    (root / "supabase").mkdir(parents=True, exist_ok=True)
    shutil.copy(project.supabase_config, root / "supabase" / "config.toml")
    target = SupabaseProject(root)
    target.export(project)
    return target
