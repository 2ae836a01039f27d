"""The files of an older release, for a rollback: its sql/ tree, taken from the
repository's history (or from a directory the operator names).

A rollback to schema N must leave functions that match schema N: the function
files of the release whose newest migration is N. In a checkout they are the
tree of the commit just before the first rolled-back migration was added.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

from .db import DeployError
from .project import Project


def newest_migration(project: Project) -> str | None:
    files = [p.stem for p in project.migration_files()]
    return max(files) if files else None


def _git(root: Path, *args: str) -> bytes:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=False, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DeployError(f"git is not usable here ({exc})") from None
    if done.returncode != 0:
        raise DeployError(done.stderr.decode(errors="replace").strip().splitlines()[0] if done.stderr.strip()
                          else f"git {args[0]} failed")
    return done.stdout


def release_with(project: Project, migration_ids: list[str], into: Path) -> Project:
    """The sql/ tree of the newest release whose migrations are exactly ``migration_ids``:
    the last commit before the next change to sql/migrations after a commit that has
    that set. Refuses, with the reason, when the history is not at hand or no release
    had that schema (migrations merged out of number order leave such gaps)."""
    wanted = set(migration_ids)
    target = max(wanted) if wanted else "none"
    why = f"the function files of schema {target} are needed to leave functions that match the rolled-back schema"
    try:
        commits = [c.decode() for c in _git(project.root, "log", "--format=%H", "--", "sql/migrations").split()]
        for commit in commits:  # newest first
            if _migration_ids(project.root, commit) == wanted:
                archive = _git(project.root, "archive", "--format=tar", _last_with(project.root, commit, wanted), "sql")
                break
        else:
            raise DeployError(
                f"{why}, and no commit of {project.root} has exactly the migrations the rollback leaves (migrations "
                "were added out of number order, so no release had that schema); roll back further (--count) to a "
                "schema a release had, or pass --keep-functions; nothing was changed")
    except DeployError as exc:
        if "no commit of" in str(exc):
            raise
        raise DeployError(
            f"{why}, and they cannot be read from git history at {project.root} ({exc}); pass "
            "--functions-from with a tree of that release (its sql/ folder); nothing was changed") from None
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return checked(Project(root=into), max(wanted) if wanted else None, why)


def _migration_ids(root: Path, commit: str) -> set[str]:
    names = _git(root, "ls-tree", "--name-only", commit, "sql/migrations/").decode().split()
    return {Path(n).stem for n in names if n.endswith(".sql") and not n.endswith(".rollback.sql")}


def _last_with(root: Path, commit: str, wanted: set[str]) -> str:
    """The newest commit descending from ``commit`` (up to HEAD) whose migrations are still
    exactly ``wanted``: that release's last function files. Along the ancestry path, not the
    log's date order, so that a branch merged out of number order is followed on its own line."""
    later = _git(root, "rev-list", "--topo-order", "--ancestry-path", f"{commit}..HEAD").decode().split()
    return next((c for c in later if _migration_ids(root, c) == wanted), commit)


def checked(tree: Project, target: str | None, why: str = "") -> Project:
    """``tree`` when its newest migration is ``target``."""
    if not tree.migrations_dir.is_dir() or newest_migration(tree) != target:
        raise DeployError(
            f"{tree.root} is not the release of schema {target or 'none'} (its newest migration is "
            f"{newest_migration(tree) if tree.migrations_dir.is_dir() else 'missing'}){': ' + why if why else ''}; "
            "nothing was changed")
    return tree
