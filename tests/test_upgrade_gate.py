"""The upgrade gate (py/deploy/gate.py): every public RPC starts with it; a call
that waits at it for an upgrade runs the new release's function; a release
without it is wrapped (same oid, same behaviour) before its upgrade; a failed
migrate --json commits nothing of the release and says so."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner

from interview_db import gate
from interview_db.cli import main
from interview_db.functions import read_function_file
from interview_db.localdb import LocalPostgres
from interview_db.migrations import migrate
from interview_db.project import Project

from .helpers import DeployedCluster, TestDatabase, copy_project, wait_for


def _first_statement_is_the_gate(statement_text: str, qualified: str, names: list[str | None]) -> bool:
    """The body's top-level ``begin`` (after an optional declare section) is followed,
    comments aside, by exactly the gate of this function."""
    body = statement_text[re.search(r"\bas \$\$\n", statement_text).end():]  # type: ignore[union-attr]
    begin = re.search(r"^begin\n", body, re.M)
    if begin is None or re.search(r"\bbegin\b", body[: begin.start()]):
        return False
    rest = re.sub(r"\A(?:\s*--[^\n]*\n)*", "", body[begin.end():])
    return rest.startswith(gate.gate_lines(qualified, names))


def test_every_public_rpc_starts_with_the_gate(project: Project) -> None:
    checked = []
    for path in sorted(project.functions_dir.glob("public.*.sql")):
        for statement in read_function_file(path).statements:
            if statement.creates is None:
                continue
            assert re.search(r"^language plpgsql$", statement.text, re.M), f"{path.name}: not plpgsql"
            names = gate.input_names(statement.text)
            assert _first_statement_is_the_gate(statement.text, statement.creates.qualified_name, names), (
                f"{path.name}: the body does not start with\n{gate.gate_lines(statement.creates.qualified_name, names)}")
            checked.append(statement.creates.qualified_name)
    assert "public.job_interview_create_from_array" in checked and len(checked) >= 14


def test_the_gate_check_refuses_a_body_without_it_or_with_it_later() -> None:
    gated = ("create function public.f(a jsonb default null) returns jsonb language plpgsql as $$\n"
             "declare\n  x int;\nbegin\n" + gate.gate_lines("public.f", ["a"]) + "  return a;\nend\n$$;")
    assert _first_statement_is_the_gate(gated, "public.f", ["a"])
    assert not _first_statement_is_the_gate(gated, "public.f", ["b"])  # another parameter name
    late = gated.replace("begin\n", "begin\n  perform 1;\n", 1)
    assert not _first_statement_is_the_gate(late, "public.f", ["a"])
    assert gate.GATE_KEY == int(re.findall(r"lock_shared\((\d+)\)", (
        Path(__file__).parents[1] / "sql/functions/interview_private.upgrade_gate.sql").read_text())[0])


def test_the_key_is_the_one_the_gate_function_takes(project: Project) -> None:
    text = (project.functions_dir / "interview_private.upgrade_gate.sql").read_text()
    assert set(re.findall(r"pg_advisory_xact_lock_shared\((\d+)\)", text)) == {str(gate.GATE_KEY)}
    assert f"pg_try_advisory_xact_lock_shared({gate.GATE_KEY})" in gate.gate_lines("public.f", [])


@pytest.mark.parametrize("body", [
    "begin\n  return 1;\nend",
    "\ndeclare\n  v int := 2;\nbegin\n  return v;\nend;\n",
    "#variable_conflict use_column\ndeclare v int;\nbegin\n  return 3;\nend\n",
    "<<outer>>\nbegin\n  return 4;\nend outer;",
])
def test_a_wrapped_body_unwraps_to_the_old_one(body: str) -> None:
    wrapped = gate.wrap_body(body, "return public.f(a => $1);", None, "public.f(integer)")
    assert wrapped.startswith("#variable_conflict use_column\n") == body.startswith("#variable_conflict")
    if not body.startswith("#"):
        assert gate.unwrapped(wrapped) == gate.unwrapped(body)


def test_a_body_that_does_not_end_with_its_block_is_not_wrapped() -> None:
    with pytest.raises(ValueError, match="end of its block"):
        gate.wrap_body("begin\n  return 1;\nend; -- done\n", "return public.f();", None, "public.f()")


PROBE = """
create or replace function public.zz_gate_probe(n integer default 0)
returns text language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
begin
{gate}  return '{release}' operator(pg_catalog.||) n::text;
end
$$;
grant execute on function public.zz_gate_probe(integer) to authenticated;
"""


def _call_in_thread(url: str, query: str, out: dict[str, Any]) -> threading.Thread:
    def run() -> None:
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                out["pid"] = conn.info.backend_pid
                out["value"] = conn.execute(query).fetchone()[0]  # type: ignore[index]
        except psycopg.Error as exc:
            out["error"] = f"{exc.sqlstate}: {exc}"
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _waiting_at_the_gate(db: TestDatabase, out: dict[str, Any]) -> bool | None:
    if "pid" not in out:
        return None
    row = db.admin.execute(
        "select 1 from pg_locks where pid = %s and locktype = 'advisory' and not granted", (out["pid"],)).fetchone()
    return True if row else None


@pytest.mark.parametrize("change", ["body", "signature"])
def test_a_call_that_waits_at_the_gate_runs_the_function_the_upgrade_committed(db: TestDatabase, change: str) -> None:
    db.admin.execute(PROBE.format(gate=gate.gate_lines("public.zz_gate_probe", ["n"]), release="old"))
    assert db.admin.execute("select public.zz_gate_probe(1) as v").fetchone()["v"] == "old1"
    out: dict[str, Any] = {}
    with psycopg.connect(db.url) as upgrade:  # an upgrade's transaction: the gate first, then the change
        upgrade.execute("select pg_catalog.pg_advisory_xact_lock(%s)", (gate.GATE_KEY,))
        thread = _call_in_thread(db.url, "select public.zz_gate_probe(n => 7)", out)
        wait_for(lambda: _waiting_at_the_gate(db, out), "the call waiting at the gate")
        if change == "body":
            upgrade.execute(PROBE.format(gate=gate.gate_lines("public.zz_gate_probe", ["n"]), release="new"))
        else:  # retired as migrate does, and a new signature with one more parameter
            oid = upgrade.execute("select 'public.zz_gate_probe(integer)'::regprocedure::oid").fetchone()[0]  # type: ignore[index]
            upgrade.execute(f"alter function public.zz_gate_probe(integer) rename to retired_{oid}")
            upgrade.execute(f"alter function public.retired_{oid}(integer) set schema interview_deploy")
            upgrade.execute(PROBE.replace("n integer default 0", "n integer default 0, m text default 'x'")
                            .replace("zz_gate_probe(integer)", "zz_gate_probe(integer, text)")
                            .format(gate=gate.gate_lines("public.zz_gate_probe", ["n", "m"]), release="new"))
        upgrade.commit()
    thread.join(timeout=30)
    assert out.get("value") == "new7", out


def test_a_release_without_the_gate_is_wrapped_in_place_and_then_waits_at_it(db: TestDatabase) -> None:
    db.admin.execute(PROBE.format(gate="", release="old"))
    oid = db.admin.execute("select 'public.zz_gate_probe(integer)'::regprocedure::oid as o").fetchone()["o"]
    old = db.admin.execute("select prosrc from pg_proc where oid = %s", (oid,)).fetchone()["prosrc"]
    with psycopg.connect(db.url) as conn:
        conn.execute("set local search_path = pg_catalog, pg_temp")
        ungated = [f for f in gate.deployed_public(conn) if not f.gated]
        assert [f.signature for f in ungated] == ["public.zz_gate_probe(integer)"]
        done = gate.gate_deployed(conn, ungated, {})
        conn.commit()
    assert done.wrapped == ["public.zz_gate_probe(integer)"] and done.skipped == []
    row = db.admin.execute("select oid, prosrc from pg_proc where proname = 'zz_gate_probe'").fetchone()
    assert row["oid"] == oid and gate.unwrapped(row["prosrc"]) == gate.unwrapped(old) and row["prosrc"] != old
    assert db.admin.execute("select public.zz_gate_probe(2) as v").fetchone()["v"] == "old2"
    out: dict[str, Any] = {}
    with psycopg.connect(db.url) as upgrade:
        upgrade.execute("select pg_catalog.pg_advisory_xact_lock(%s)", (gate.GATE_KEY,))
        thread = _call_in_thread(db.url, "select public.zz_gate_probe(n => 5)", out)
        wait_for(lambda: _waiting_at_the_gate(db, out), "the call waiting at the gate")
        upgrade.execute(PROBE.format(gate=gate.gate_lines("public.zz_gate_probe", ["n"]), release="new"))
        upgrade.commit()
    thread.join(timeout=30)
    assert out.get("value") == "new5", out


def test_a_failed_migrate_json_commits_nothing_of_the_release_and_names_nothing_applied(
    pg_server: LocalPostgres | DeployedCluster, empty_db: str, project: Project, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    broken = copy_project(project, tmp_path / "broken")
    (broken.migrations_dir / "9982_zz_table.sql").write_text("create table interview_private.zz_t (id int primary key);\n")
    (broken.migrations_dir / "9982_zz_table.rollback.sql").write_text("drop table interview_private.zz_t;\n")
    (broken.functions_dir / "interview_private.zz_broken.sql").write_text(
        "create function interview_private.zz_broken() returns integer language plpgsql\n"
        "set search_path = pg_catalog, pg_temp as $$\nbegin\n  retrun 1;\nend\n$$;\n")
    monkeypatch.setenv("INTERVIEW_DB_PROJECT", str(broken.root))
    # on an empty database the shim commits on its own before the upgrade's transaction: it is named
    first = CliRunner().invoke(main, ["migrate", "--json", "--database-url", empty_db])
    assert first.exit_code == 1, first.output
    assert json.loads(first.stdout)["applied"] == ["the Supabase shim"], first.stdout
    with psycopg.connect(empty_db) as conn:
        assert conn.execute("select count(*) from interview_deploy._yoyo_migration").fetchone() == (0,)
        assert conn.execute("select to_regclass('public.interview_def_set')").fetchone() == (None,)
    migrate(empty_db, project)
    result = CliRunner().invoke(main, ["migrate", "--json", "--database-url", empty_db])
    assert result.exit_code == 1, result.output
    payload = json.loads(result.stdout)
    assert payload["applied"] == [] and "zz_broken.sql line" in payload["error"], payload
    with psycopg.connect(empty_db) as conn:
        assert conn.execute("select to_regclass('interview_private.zz_t')").fetchone() == (None,)
        assert conn.execute("select count(*) from interview_deploy._yoyo_migration "
                            "where migration_id = '9982_zz_table'").fetchone() == (0,)
