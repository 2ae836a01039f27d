"""jose (the JWT library of the Node example) installed from npm once per
version into a reused temp directory, as tests/supabase_cli.py does for the
Supabase CLI: ``<tmp>/interview-db-jose/<version>/node_modules/jose``."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from .npm_once import NpmUnavailable, install_once

JOSE_VERSION = "6.2.18"
CACHE_ROOT = Path(tempfile.gettempdir()) / "interview-db-jose"


class JoseUnavailable(RuntimeError):
    """node or npm is missing, or the install failed."""


def install(version: str = JOSE_VERSION) -> Path:
    """The directory holding ``node_modules/jose`` (``npm i -E jose@<version>``);
    a script placed in it imports ``jose`` from there."""
    if shutil.which("node") is None:
        raise JoseUnavailable("node is not installed")
    try:
        return install_once(CACHE_ROOT / version, [f"jose@{version}"], "node_modules/jose/package.json")
    except NpmUnavailable as exc:
        raise JoseUnavailable(str(exc)) from exc
