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


def release_before(project: Project, first_rolled_back: str, target: str | None, into: Path) -> Project:
    """The sql/ tree of the release whose newest migration is ``target``: the parent
    of the commit that added ``first_rolled_back``. Refuses, with the reason, when
    there is no history to take it from."""
    why = (f"the function files of schema {target or 'none'} are needed to leave functions that match the "
           "rolled-back schema")
    try:
        added = _git(project.root, "log", "--diff-filter=A", "--format=%H", "--",
                     f"sql/migrations/{first_rolled_back}.sql").split()
        if not added:
            raise DeployError(f"no commit adds sql/migrations/{first_rolled_back}.sql")
        archive = _git(project.root, "archive", "--format=tar", f"{added[-1].decode()}^", "sql")
    except DeployError as exc:
        raise DeployError(
            f"{why}, and they cannot be read from git history at {project.root} ({exc}); pass "
            "--functions-from with a tree of that release (its sql/ folder); nothing was changed") from None
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return checked(Project(root=into), target, why)


def checked(tree: Project, target: str | None, why: str = "") -> Project:
    """``tree`` when its newest migration is ``target``."""
    if not tree.migrations_dir.is_dir() or newest_migration(tree) != target:
        raise DeployError(
            f"{tree.root} is not the release of schema {target or 'none'} (its newest migration is "
            f"{newest_migration(tree) if tree.migrations_dir.is_dir() else 'missing'}){': ' + why if why else ''}; "
            "nothing was changed")
    return tree
