"""plpgsql_check over every PL/pgSQL function of the package, with every class
of warning on: no error and no warning, except the reviewed entries of ALLOWED.

The extension is created in a fresh clone only (never in the template or a
deployment). Debian's postgresql-15-plpgsql-check provides it for the machine's
PostgreSQL 15 (.ci/run installs it); the embedded wheel's PostgreSQL has none,
and there the module is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from .helpers import TestDatabase

pytestmark = pytest.mark.system_postgres

PACKAGE_SCHEMAS = ("public", "interview_private")

# (function signature, message) pairs that are reviewed and accepted. Each entry
# says why; anything else plpgsql_check reports fails the test.
ALLOWED: dict[tuple[str, str], str] = {
    ("interview_private.raise_invalid(text,text,text)", "routine is marked as VOLATILE, should be IMMUTABLE"): (
        "Raising is its effect: an IMMUTABLE function with constant arguments may be evaluated by the "
        "planner (or by plpgsql_check) before the branch that calls it runs, so it stays VOLATILE."
    ),
    ("interview_private.raise_refused(integer,text,text,text)", "routine is marked as VOLATILE, should be IMMUTABLE"): (
        "The 401 and 403 beside raise_invalid: VOLATILE for the same reason."
    ),
}


@dataclass(frozen=True)
class Finding:
    function: str
    level: str
    sqlstate: str
    message: str
    lineno: int | None
    statement: str | None
    detail: str | None

    def __str__(self) -> str:
        where = f" line {self.lineno} ({self.statement})" if self.lineno else ""
        detail = f" [{self.detail}]" if self.detail else ""
        return f"{self.function}{where}: {self.level} {self.sqlstate}: {self.message}{detail}"


# Every PL/pgSQL function of the package schemas (extension members excluded),
# with the table of its trigger for a trigger function.
_FUNCTIONS = """
select p.oid::regprocedure::text as signature, t.tgrelid::regclass::text as relid,
       p.prorettype = 'trigger'::regtype as is_trigger
from pg_proc as p
join pg_namespace as n on n.oid = p.pronamespace
join pg_language as l on l.oid = p.prolang
left join pg_trigger as t on t.tgfoid = p.oid and not t.tgisinternal
where n.nspname = any (%(schemas)s) and l.lanname = 'plpgsql'
  and not exists (select from pg_depend as d
                  where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
order by 1, 2
"""

# use_incomment_options => false: a comment in a function cannot switch a check
# off; ALLOWED above is the only place a finding is excused.
_CHECK = """
select c.level, c.sqlstate, c.message, c.lineno, c.statement, c.detail
from public.plpgsql_check_function_tb(
  %(signature)s::regprocedure,
  relid => coalesce(%(relid)s::regclass, 0),
  fatal_errors => false,
  other_warnings => true,
  performance_warnings => true,
  extra_warnings => true,
  security_warnings => true,
  compatibility_warnings => true,
  use_incomment_options => false
) as c
"""


@pytest.fixture
def checked(db: TestDatabase) -> TestDatabase:
    server = db.admin.execute(
        "select current_setting('server_version') as version, "
        "exists (select from pg_catalog.pg_available_extensions where name = 'plpgsql_check') as available"
    ).fetchone()
    assert server is not None
    if not server["available"]:
        pytest.skip(
            f"PostgreSQL {server['version']} has no plpgsql_check extension (Debian's "
            "postgresql-15-plpgsql-check provides it for the machine's PostgreSQL 15; the embedded wheel has none)"
        )
    db.admin.execute("create extension plpgsql_check with schema public")
    # An empty search_path: every name below, and every signature we print, is schema-qualified.
    db.admin.execute("set search_path = ''")
    return db


def package_functions(db: TestDatabase) -> list[dict[str, object]]:
    return db.admin.execute(_FUNCTIONS, {"schemas": list(PACKAGE_SCHEMAS)}).fetchall()


def test_every_plpgsql_function_has_no_error_and_no_warning(checked: TestDatabase) -> None:
    functions = package_functions(checked)
    assert len(functions) >= 10, functions  # the package's functions were found at all
    assert any(f["signature"].startswith("public.job_interview_create_from_array(") for f in functions)

    findings: list[Finding] = []
    for function in functions:
        assert not function["is_trigger"] or function["relid"], (
            f"{function['signature']} is a trigger function that no trigger uses: nothing to check it against"
        )
        for row in checked.admin.execute(_CHECK, function).fetchall():
            findings.append(Finding(str(function["signature"]), row["level"], row["sqlstate"], row["message"],
                                    row["lineno"], row["statement"], row["detail"]))

    unexpected = [f for f in findings if (f.function, f.message) not in ALLOWED]
    assert unexpected == [], "plpgsql_check findings:\n" + "\n".join(map(str, unexpected))


def test_the_allowlist_holds_only_findings_that_still_occur(checked: TestDatabase) -> None:
    """A stale entry would excuse a future finding nobody reviewed."""
    signatures = {str(f["signature"]) for f in package_functions(checked)}
    for function, message in ALLOWED:
        assert function in signatures, f"{function} no longer exists: remove its ALLOWED entry"
        rows = checked.admin.execute(_CHECK, {"signature": function, "relid": None}).fetchall()
        assert message in [r["message"] for r in rows], f"{function} no longer reports {message!r}: remove it"


def test_no_function_switches_plpgsql_check_off_from_inside(checked: TestDatabase) -> None:
    """Pragmas and in-comment options would silence the check where this test cannot see it."""
    rows = checked.admin.execute(
        """
        select p.oid::regprocedure::text as signature
        from pg_proc as p join pg_namespace as n on n.oid = p.pronamespace
        where n.nspname = any (%(schemas)s)
          and (p.prosrc ~* 'plpgsql_check' or coalesce(obj_description(p.oid, 'pg_proc'), '') ~* 'plpgsql_check')
          and not exists (select from pg_depend as d
                          where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
        """,
        {"schemas": list(PACKAGE_SCHEMAS)},
    ).fetchall()
    assert rows == []
