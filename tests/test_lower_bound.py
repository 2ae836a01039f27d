"""benchmarks/lower_bound.py: each version of the create call is built from the
function as written and writes as many rows of each kind as the floor (no timing
assertions)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from interview_db.bench import Bench, BenchOptions
from interview_db.project import RPC_NAME, Project

from .helpers import TestDatabase

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "lower_bound.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("lower_bound", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


lower_bound = _load()

TAKEN_OUT = ("assert_body_limits", "assert_valid_request", "authorized_merchant", "resolve_references",
             "detect_seniority", "derive_candidate_expectations")


def test_the_skeleton_has_none_of_the_checks(project: Project) -> None:
    create, rpc = lower_bound.version_sql(project, "parse_and_write")
    for call in TAKEN_OUT:
        assert f"interview_private.{call}(" not in create, call
    assert "interview_private.assert_body_limits(" not in rpc
    # what it keeps
    for call in ("authorize_caller", "parse_request", "insert_question_records", "insert_steps", "credits_per_session"):
        assert f"interview_private.{call}(" in create, call


def _definitions(db: TestDatabase) -> dict[str, str]:
    """The create call and the RPC's overload with named arguments (not its json fallback)."""
    return {row["proname"]: row["def"] for row in db.admin.execute(
        "select p.proname, pg_get_functiondef(p.oid) as def from pg_proc as p "
        "where p.proname = 'create_interview' or (p.proname = %s and p.pronargs > 1)",
        (RPC_NAME,)
    ).fetchall()}


def _rows(db: TestDatabase, merchant_id: str) -> dict[str, int]:
    row = db.admin.execute(
        """
        select (select count(*) from public.interview_def_set where merchant_id = %(m)s) as sets,
               (select count(*) from public.interview_def_question where merchant_id = %(m)s) as question_records,
               (select count(*) from public.interview_def_step as s
                join public.interview_def_set as d on d.id = s.interview_def_set_id
                where d.merchant_id = %(m)s) as steps,
               (select count(*) from interview_private.embed_keys as k
                join public.interview_def_set as d on d.id = k.interview_def_set_id
                where d.merchant_id = %(m)s) as embed_keys,
               (select count(*) from interview_private.outbox_events where merchant_id = %(m)s) as outbox_events
        """,
        {"m": merchant_id},
    ).fetchone()
    assert row is not None
    return {key: int(value) for key, value in row.items()}


@pytest.mark.parametrize("version", lower_bound.VERSIONS)
def test_every_version_writes_the_rows_of_the_floor(db: TestDatabase, project: Project, version: str) -> None:
    deployed = _definitions(db)
    lower_bound.use_version(db.admin, project, version)
    replaced = _definitions(db)
    # both functions are replaced, the create call by a version of its own
    assert len(replaced) == 2
    for name in replaced:
        assert (replaced[name] == deployed[name]) == (version == "deployed"), name
    bench = Bench(db.url, db.api_url, BenchOptions.quick(), lambda _: None)
    try:
        bench.rpc_once(3)
        by_rpc = _rows(db, bench.merchant_id)
        bench.floor_once(3)
        by_both = _rows(db, bench.merchant_id)
    finally:
        bench.close()
        # what the script does when it is done
        lower_bound.use_version(db.admin, project, "deployed")
    assert _definitions(db) == deployed
    # as many rows of each kind as the floor writes (the columns are the version's own)
    assert by_rpc == {"sets": 1, "question_records": 3, "steps": 5, "embed_keys": 1, "outbox_events": 2}
    assert by_both == {key: 2 * value for key, value in by_rpc.items()}


def test_an_unknown_version_is_refused(project: Project) -> None:
    with pytest.raises(lower_bound.click.ClickException, match="no version 'fast'"):
        lower_bound.version_sql(project, "fast")
