"""TypeScript, supabase-js and type-fest from npm, installed once per set of pinned
versions into a temp dir (reused by later runs, like the Supabase CLI of
tests/supabase_cli.py), and tsc run on a directory of files."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

# Pinned: the compile test judges the generated types against exactly these.
PACKAGES = {
    "typescript": "5.9.3",
    "@supabase/supabase-js": "2.119.1",
    "type-fest": "5.10.0",
}
CACHE_ROOT = Path(tempfile.gettempdir()) / "interview-db-typescript"


class ToolchainUnavailable(RuntimeError):
    """node or npm is missing (the test is skipped), or the install failed (the test fails)."""


def missing_tools() -> str | None:
    """Why the toolchain cannot run here, or None."""
    absent = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    return f"{' and '.join(absent)} not installed: the TypeScript compile test needs Node.js and npm" if absent else None


def install() -> Path:
    """The node_modules of ``npm i -E`` of PACKAGES, installed once into
    ``<tmp>/interview-db-typescript/<hash of the pins>`` (later calls reuse it)."""
    pins = [f"{name}@{version}" for name, version in sorted(PACKAGES.items())]
    target = CACHE_ROOT / hashlib.sha256(" ".join(pins).encode()).hexdigest()[:16]
    modules = target / "node_modules"
    if (target / ".complete").exists() and (modules / ".bin" / "tsc").exists():
        return modules
    npm = shutil.which("npm")
    if npm is None:
        raise ToolchainUnavailable("npm is not installed")
    CACHE_ROOT.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="install-", dir=CACHE_ROOT))
    try:
        done = subprocess.run(
            [npm, "install", "--exact", "--no-audit", "--no-fund", "--no-save", "--loglevel=error", *pins],
            cwd=staging, capture_output=True, text=True, timeout=600, check=False,
        )
        if done.returncode != 0:
            raise ToolchainUnavailable(f"npm i -E {' '.join(pins)} failed: {(done.stderr or done.stdout).strip()[-2000:]}")
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
    if not (modules / ".bin" / "tsc").exists():
        raise ToolchainUnavailable(f"the install of {' '.join(pins)} has no {modules / '.bin' / 'tsc'}")
    return modules


def tsc(modules: Path, workdir: Path, files: list[str]) -> subprocess.CompletedProcess[str]:
    """``tsc --noEmit --strict`` on ``files`` (relative to ``workdir``, which gets a node_modules link)."""
    link = workdir / "node_modules"
    if not link.exists():
        link.symlink_to(modules, target_is_directory=True)
    options = [
        "--noEmit", "--strict", "--pretty", "false", "--target", "ES2022", "--module", "ESNext",
        "--moduleResolution", "Bundler", "--skipLibCheck",
    ]
    return subprocess.run(
        [str(modules / ".bin" / "tsc"), *options, *files], cwd=workdir, capture_output=True, text=True,
        timeout=300, check=False,
    )
