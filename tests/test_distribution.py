"""The distribution: the sdist and the wheel carry everything the commands need,
and the wheel, installed into a fresh virtual environment with no access to the
checkout, deploys from anywhere.

Builds with `python -m build` (the isolated build environment fetches
setuptools from the package index, as any user's build does), checks both files
with `twine check`, installs the wheel into a new venv and runs the command
from an empty temporary directory.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import venv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from interview_db import __version__
from interview_db.project import Project

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Built:
    wheel: Path
    sdist: Path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
                   check=True, capture_output=True, text=True, timeout=900)
    wheels, sdists = sorted(out.glob("*.whl")), sorted(out.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, sorted(p.name for p in out.iterdir())
    return Built(wheels[0], sdists[0])


@pytest.fixture(scope="module")
def installed(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh venv (no system site-packages) with only the wheel and its dependencies; yields its bin/."""
    env_dir = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    bindir = env_dir / "bin"
    subprocess.run([str(bindir / "python"), "-m", "pip", "install", "--quiet", str(built.wheel)],
                   check=True, capture_output=True, text=True, timeout=900)
    yield bindir


def _run(bindir: Path, cwd: Path, *args: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    """The installed command, from ``cwd``, with nothing that points at the checkout."""
    env = {k: v for k, v in os.environ.items() if k not in ("INTERVIEW_DB_PROJECT", "PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{bindir}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run([str(bindir / "interview-db"), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_twine_accepts_the_wheel_and_the_sdist(built: Built) -> None:
    result = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", str(built.wheel), str(built.sdist)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("PASSED") == 2, result.stdout


def test_the_wheel_carries_every_file_the_commands_read_and_nothing_else(built: Built) -> None:
    names = set(zipfile.ZipFile(built.wheel).namelist())
    project = Project(ROOT)
    data = "interview_db/_data"
    expected = {
        *(f"{data}/sql/migrations/{p.name}" for p in project.migrations_dir.glob("*.sql")),
        *(f"{data}/sql/functions/{p.name}" for p in project.function_files()),
        *(f"{data}/sql/types/{p.name}" for p in project.type_files()),
        *(f"{data}/sql/seeds/{p.name}" for p in project.seeds_dir.glob("*.json")),
        *(f"{data}/supabase/{p.name}" for p in (ROOT / "supabase").glob("*.sql")),
        f"{data}/supabase/config.toml",
        f"{data}/openapi/job_interview_create_from_array.json",
        f"{data}/types/interview-db.ts",
        f"{data}/examples/create-interview.json",
        *(f"interview_db/{p.name}" for p in (ROOT / "py" / "deploy").glob("*.py")),
    }
    assert expected <= names, sorted(expected - names)
    package_files = {n for n in names if ".dist-info/" not in n}
    assert package_files == expected, sorted(package_files - expected)  # no tests, no caches, no stray files
    assert not any(n.startswith("deploy/") for n in names)  # no top-level module named deploy
    top_level = next(n for n in names if n.endswith(".dist-info/top_level.txt"))
    assert zipfile.ZipFile(built.wheel).read(top_level).decode().split() == ["interview_db"]


def test_the_sdist_builds_the_same_files(built: Built) -> None:
    with tarfile.open(built.sdist) as sdist:
        names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    for part in ("sql/migrations", "sql/functions", "sql/seeds", "supabase/config.toml", "supabase/shim.sql",
                 "openapi/job_interview_create_from_array.json", "examples/create-interview.json",
                 "py/deploy/cli.py", "pyproject.toml", "README.md"):
        assert any(n == part or n.startswith(part + "/") for n in names), part


def test_the_installed_command_reports_its_version_and_schema_from_an_empty_directory(
    installed: Path, tmp_path: Path
) -> None:
    result = _run(installed, tmp_path, "--version")
    assert result.returncode == 0, result.stderr
    newest = Project(ROOT).schema_version
    assert result.stdout.startswith(f"interview-db {__version__} (schema {newest}, from the wheel "), result.stdout
    assert str(ROOT) not in result.stdout
    module = subprocess.run([str(installed / "python"), "-m", "interview_db", "--version"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert module.stdout == result.stdout
    no_deploy = subprocess.run([str(installed / "python"), "-c", "import deploy"], cwd=tmp_path,
                               capture_output=True, text=True, timeout=120)
    assert no_deploy.returncode != 0 and "No module named 'deploy'" in no_deploy.stderr


def test_the_installed_command_runs_the_demo_from_an_empty_directory(installed: Path, tmp_path: Path) -> None:
    result = _run(installed, tmp_path, "demo", "--json")
    assert result.returncode == 0, result.stderr[-3000:]
    assert '"status": 200' in result.stdout
    assert list(tmp_path.iterdir()) == []  # it wrote nothing where it ran


def test_the_installed_command_exports_the_package_for_the_supabase_cli(installed: Path, tmp_path: Path) -> None:
    target = tmp_path / "supabase" / "migrations"
    result = _run(installed, tmp_path, "export-supabase", str(target), "--seed-file", str(tmp_path / "supabase" / "seed.sql"))
    assert result.returncode == 0, result.stderr
    written = sorted(p.name for p in target.iterdir())
    migrations = Project(ROOT).migration_files()
    assert len([n for n in written if "_interview_0" in n]) == len(migrations)
    assert any(n.endswith("_interview_functions.sql") for n in written)
    assert (tmp_path / "supabase" / "seed.sql").read_text(encoding="utf-8").count("insert into") >= 3
