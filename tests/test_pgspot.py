"""pgspot, an independent checker written to find the holes of SQL that a
privileged role runs (unsafe search_path, unqualified references, objects
someone else may own), over every SQL file of the package.

Each file is checked as the deployer runs it: function files as they are (each
function sets its own search_path); migrations, their rollbacks and the local
shim after the `set search_path = pg_catalog, pg_temp` that `migrate` runs them
under (interview_db.migrations.MIGRATION_SEARCH_PATH).

No PS004 (SECURITY DEFINER with an insecure search_path), PS005 (a function
without one) or PS017 (an unqualified reference) anywhere; any other finding is
allowed only where the reviewed list below names it, with its reason, and an
entry that no longer matches anything fails too.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from interview_db.migrations import MIGRATION_SEARCH_PATH
from interview_db.project import Project

FORBIDDEN = ("PS004", "PS005", "PS017")
_FINDING = re.compile(r"^(?P<code>PS\d{3}): (?P<text>.*?)(?: at line \d+)?$")

# (file pattern, code, pattern of the finding's text) -> why it is acceptable.
ALLOWED: dict[tuple[str, str, str], str] = {
    ("sql/functions/*.sql", "PS002", r"Unsafe function creation: (public|interview_private|interview_access)\."): (
        "CREATE OR REPLACE is how migrate and the Supabase CLI re-apply a changed function file. Nobody but the "
        "deployer can create in these schemas: interview_private and interview_access are the package's own "
        "(migrations revoke CREATE from PUBLIC), and public grants no CREATE to PUBLIC on PostgreSQL 15+ or "
        "Supabase; doctor reports a deployed function whose owner is not the deployer's."
    ),
    ("supabase/pgcrypto_fallback.sql", "PS002", r"Unsafe function creation: extensions\."): (
        "The pgcrypto stand-ins, applied by the local shim only, on a plain PostgreSQL without pgcrypto, where "
        "the deployer has just created the extensions schema."
    ),
    ("supabase/shim.sql", "PS010", r"Unsafe schema creation: (auth|extensions)"): (
        "The local shim runs only where the auth schema is missing (a plain PostgreSQL, never Supabase); "
        "`create schema if not exists` keeps it idempotent when migrate is run again on the same database."
    ),
}


@dataclass(frozen=True)
class Finding:
    file: str
    code: str
    text: str

    def __str__(self) -> str:
        return f"{self.file}: {self.code}: {self.text}"


def _checked_files(project: Project) -> list[tuple[Path, bool]]:
    """(file, run under the migration search_path)."""
    files = [(p, False) for p in project.function_files()]
    files += [(p, True) for p in sorted(project.migrations_dir.glob("*.sql"))]
    files += [(p, True) for p in sorted((project.root / "supabase").glob("*.sql"))]
    return files


def _pgspot(path: Path, preamble: Path | None) -> list[str]:
    args = ["pgspot", *(["--append", str(preamble)] if preamble else []), str(path)]
    result = subprocess.run(args, capture_output=True, text=True, timeout=120)
    return [line for line in result.stdout.splitlines() if line.startswith("PS")]


@pytest.fixture(scope="module")
def findings(project: Project, tmp_path_factory: pytest.TempPathFactory) -> list[Finding]:
    if shutil.which("pgspot") is None:
        pytest.fail("pgspot is missing: pip install -e '.[dev]' installs it")
    preamble = tmp_path_factory.mktemp("pgspot") / "deployer_session.sql"
    preamble.write_text(f"SET search_path = {MIGRATION_SEARCH_PATH};\n")
    found = []
    for path, under_migration_path in _checked_files(project):
        name = str(path.relative_to(project.root))
        for line in _pgspot(path, preamble if under_migration_path else None):
            match = _FINDING.match(line)
            assert match, f"pgspot printed a line this test cannot read: {line}"
            found.append(Finding(name, match["code"], match["text"]))
    return found


def _allowed_by(finding: Finding) -> tuple[str, str, str] | None:
    for key in ALLOWED:
        pattern, code, text = key
        if Path(finding.file).match(pattern) and finding.code == code and re.search(text, finding.text):
            return key
    return None


def test_pgspot_finds_no_insecure_search_path_and_no_unqualified_reference(findings: list[Finding]) -> None:
    forbidden = [str(f) for f in findings if f.code in FORBIDDEN]
    assert forbidden == []


def test_every_other_finding_is_in_the_reviewed_allowlist(findings: list[Finding]) -> None:
    assert [str(f) for f in findings if f.code not in FORBIDDEN and _allowed_by(f) is None] == []


def test_every_allowlist_entry_still_matches_a_finding(findings: list[Finding]) -> None:
    used = {_allowed_by(f) for f in findings}
    assert [key for key in ALLOWED if key not in used] == []


def test_pgspot_would_catch_the_holes_it_is_here_for(tmp_path: Path) -> None:
    """The checker itself: an empty search_path on a SECURITY DEFINER function, a
    function without one, and an unqualified type all come out."""
    bad = tmp_path / "bad.sql"
    bad.write_text(
        "create function public.a(p jsonb) returns jsonb language sql security definer set search_path = '' "
        "as $$ select p $$;\n"
        "create function public.b() returns integer language sql as $$ select 1 $$;\n"
        "create table public.t (c jsonb default '{}'::jsonb);\n"
    )
    codes = {line.split(":")[0] for line in _pgspot(bad, None)}
    assert {"PS004", "PS005", "PS017"} <= codes
