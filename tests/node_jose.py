"""jose (the JWT library of the Node example) installed from npm once per
version into a reused temp directory, as tests/supabase_cli.py does for the
Supabase CLI: ``<tmp>/interview-db-jose/<version>/node_modules/jose``."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

JOSE_VERSION = "6.2.18"
CACHE_ROOT = Path(tempfile.gettempdir()) / "interview-db-jose"


class JoseUnavailable(RuntimeError):
    """node or npm is missing, or the install failed."""


def install(version: str = JOSE_VERSION) -> Path:
    """The directory holding ``node_modules/jose`` (``npm i -E jose@<version>``);
    a script placed in it imports ``jose`` from there."""
    target = CACHE_ROOT / version
    if (target / ".complete").exists() and (target / "node_modules" / "jose" / "package.json").exists():
        return target
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise JoseUnavailable("node and npm are not both installed")
    CACHE_ROOT.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{version}-", dir=CACHE_ROOT))
    try:
        done = subprocess.run(
            [npm, "install", "--exact", "--no-audit", "--no-fund", "--loglevel=error", f"jose@{version}"],
            cwd=staging, capture_output=True, text=True, timeout=600, check=False,
        )
        if done.returncode != 0:
            raise JoseUnavailable(f"npm i -E jose@{version} failed: {(done.stderr or done.stdout).strip()[-2000:]}")
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
    if not (target / "node_modules" / "jose" / "package.json").exists():
        raise JoseUnavailable(f"the install of jose@{version} has no node_modules/jose")
    return target
