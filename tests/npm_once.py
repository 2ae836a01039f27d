"""npm packages installed once into a reused temporary directory (the Supabase
CLI, jose, the TypeScript toolchain): ``npm i -E`` into a staging directory,
renamed into place when complete, so an interrupted install is never reused and
two sessions installing at once do not collide; a lock file beside the target makes
a second session (an xdist worker) wait for the first install instead of repeating it."""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import tempfile
from pathlib import Path


class NpmUnavailable(RuntimeError):
    """npm is missing, or the install failed."""


def install_once(target: Path, pins: list[str], expected: str) -> Path:
    """``target`` holding ``npm i -E <pins>``, whose file ``expected`` (relative) proves it complete."""
    if (target / ".complete").exists() and (target / expected).exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f"{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if (target / ".complete").exists() and (target / expected).exists():
            return target  # installed by another session while this one waited
        return _install(target, pins, expected)


def _install(target: Path, pins: list[str], expected: str) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise NpmUnavailable(f"npm is not installed (Node.js and npm install {' '.join(pins)})")
    staging = Path(tempfile.mkdtemp(prefix="install-", dir=target.parent))
    try:
        done = subprocess.run(
            [npm, "install", "--exact", "--no-audit", "--no-fund", "--no-save", "--loglevel=error", *pins],
            cwd=staging, capture_output=True, text=True, timeout=600, check=False,
        )
        if done.returncode != 0:
            raise NpmUnavailable(f"npm i -E {' '.join(pins)} failed: {(done.stderr or done.stdout).strip()[-2000:]}")
        (staging / ".complete").touch()
        if target.exists() and not (target / ".complete").exists():
            shutil.rmtree(target, ignore_errors=True)  # left by an install that was interrupted
        try:
            staging.rename(target)
        except OSError:  # another session finished the same install first
            pass
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    if not (target / expected).exists():
        raise NpmUnavailable(f"the install of {' '.join(pins)} has no {expected}")
    return target
