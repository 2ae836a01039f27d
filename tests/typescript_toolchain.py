"""TypeScript, supabase-js and type-fest from npm, installed once per set of pinned
versions into a temp dir (reused by later runs, like the Supabase CLI of
tests/supabase_cli.py), and tsc run on a directory of files."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

from .npm_once import NpmUnavailable, install_once

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
    try:
        return install_once(target, pins, "node_modules/.bin/tsc") / "node_modules"
    except NpmUnavailable as exc:
        raise ToolchainUnavailable(str(exc)) from exc


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
