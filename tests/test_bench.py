"""The benchmark runs at a tiny size and reports every figure (no timing assertions)."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from interview_db.bench import BenchOptions, format_table, run_bench, sql_checksum
from interview_db.cli import main
from interview_db.function_profile import ProfileUnavailable, profile_calls
from interview_db.project import Project
from interview_db.read_bench import READERS, READS, format_reads, read_targets, run_reads

from .helpers import TestDatabase
from .test_rls_plans import compares_with_the_set


def test_a_quick_run_has_every_figure(db: TestDatabase, project: Project) -> None:
    result = run_bench(db.url, db.api_url, BenchOptions.quick(), lambda _: None, sql_checksum=sql_checksum(project))

    assert result.postgres_version and result.cores >= 1
    assert [p.questions for p in result.sizes] == [1, 10]
    for point in result.sizes:
        assert point.rpc.calls == point.floor.calls == 5
        assert point.rpc.median_ms > 0 and point.floor.median_ms > 0 and point.ratio > 0
        assert point.rpc.p95_ms >= point.rpc.median_ms
    scale = result.scale
    assert scale is not None and scale.sets == 200 and scale.steps == 200 * 12
    assert scale.before.calls == scale.after.calls == 5 and scale.ratio > 0
    assert scale.statements_explained > 10
    assert scale.large_scans == []
    assert scale.loaded_sizes == []  # the ratio on the loaded database needs the server clock
    assert [c.clients for c in result.concurrency] == [1, 2]
    assert all(c.calls > 0 and c.errors == 0 for c in result.concurrency)
    # the hostile bodies, each measured against a valid 200-question body
    assert result.hostile is not None and result.hostile.baseline_ms > 0
    assert len(result.hostile.points) >= 10 and all(p.server_ms > 0 and p.status < 500 for p in result.hostile.points)
    # what was measured and how
    assert result.sql_checksum == sql_checksum(project)
    assert {"fsync", "synchronous_commit", "full_page_writes"} <= set(result.settings)
    # targets with all their inputs measured (no N=200, no 4 clients, and no server clock without
    # pg_stat_statements in a quick run on the test cluster)
    assert set(result.targets) == {"loaded / empty at N=10 <= 1.2", "worst hostile body <= 20 x a valid 200-question body"}
    assert all(isinstance(t["met"], bool) and t["value"] > 0 for t in result.targets.values())
    assert "Ratio to the floor" in format_table(result)
    # where the time goes, at N=10: every function the call ran, its own time within its total
    (profile,) = result.profiles
    assert profile.questions == 10 and profile.calls == 5
    by_name = {f.function: f for f in profile.functions}
    assert by_name["public.job_interview_create_from_array"].calls == 1
    assert by_name["interview_private.create_interview"].total_ms > by_name["interview_private.insert_steps"].total_ms > 0
    assert all(0 <= f.self_ms <= f.total_ms + 0.001 for f in profile.functions)
    assert [f.self_ms for f in profile.functions] == sorted((f.self_ms for f in profile.functions), reverse=True)
    assert "Where an N=10 call's server time goes" in format_table(result)
    # the loaded rows are really there, written by set-based SQL
    assert db.admin.execute("select count(*) as n from public.interview_def_set").fetchone()["n"] >= 200


def test_a_profile_counts_the_measured_calls_only(db: TestDatabase) -> None:
    # warm-up calls are flushed before the first snapshot: the marker counts once per measured call
    def call(conn: psycopg.Connection) -> None:
        conn.execute("select interview_private.request_user_id()")

    with psycopg.connect(db.url, autocommit=True) as caller:
        profile = profile_calls(db.admin, caller, call, 7, questions=0, marker="interview_private.request_user_id",
                                warmup=5)
    (only,) = [f for f in profile.functions if f.function == "interview_private.request_user_id"]
    assert only.calls == 1 and only.total_ms > 0


def test_a_profile_whose_marker_never_runs_says_so(db: TestDatabase) -> None:
    with psycopg.connect(db.url, autocommit=True) as caller:
        with pytest.raises(ProfileUnavailable, match="did not report"):
            profile_calls(db.admin, caller, lambda conn: None, 1, questions=0, marker="public.no_such_function")


def test_a_profile_needs_a_superuser_session(db: TestDatabase) -> None:
    with psycopg.connect(db.api_url, autocommit=True) as api:
        with pytest.raises(ProfileUnavailable, match="superuser"):
            profile_calls(db.admin, api, lambda conn: None, 1, questions=1, marker="public.job_interview_create_from_array")


def test_the_command_writes_the_json(db: TestDatabase, tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    result = CliRunner().invoke(main, ["bench", "--quick", "--database-url", db.url, "--json", str(out),
                                       "--sizes", "3", "--clients", "1", "--scale-sets", "0"])
    assert result.exit_code == 0, result.output
    figures = json.loads(out.read_text())
    assert {"postgres_version", "cores", "sizes", "scale", "concurrency", "targets"} <= set(figures)
    assert figures["sizes"][0]["questions"] == 3 and figures["scale"] is None
    assert figures["concurrency"][0]["clients"] == 1


def test_the_command_rewrites_the_performance_page_under_either_option_name(db: TestDatabase, tmp_path: Path) -> None:
    from interview_db.bench import performance_block

    page = tmp_path / "performance.md"
    for option in ("--performance-page", "--readme"):
        page.write_text("# Performance\n\n<!-- bench:start (old) -->\nold\n<!-- bench:end -->\n\nafter\n")
        out = tmp_path / "bench.json"
        result = CliRunner().invoke(main, ["bench", "--quick", "--database-url", db.url, "--json", str(out),
                                           "--sizes", "3", "--clients", "1", "--scale-sets", "0", option, str(page)])
        assert result.exit_code == 0, result.output
        assert f"Performance block of {page} rewritten" in result.output
        figures = json.loads(out.read_text())
        assert page.read_text() == f"# Performance\n\n{performance_block(figures, 'bench.json')}\n\nafter\n"
    page.write_text("# Notes\n")
    result = CliRunner().invoke(main, ["bench", "--quick", "--database-url", db.url, "--json", str(out),
                                       "--sizes", "3", "--clients", "1", "--scale-sets", "0",
                                       "--performance-page", str(page)])
    assert result.exit_code == 1 and f"{page} has no generated performance block" in result.output
    assert page.read_text() == "# Notes\n"


def test_the_read_section_measures_every_reader_at_each_size(db: TestDatabase) -> None:
    """A small read section (two sizes, one measured repeat): every reader's rows are their
    own and the same at both sizes, each read has a server time, and the targets are there."""
    points = run_reads(db.url, db.api_url, (3_000, 4_000), lambda _: None, repeats=1)
    assert [p.sets for p in points] == [3_000, 4_000] and [p.steps for p in points] == [24_000, 32_000]
    for point in points:
        assert set(point.times) == set(READERS)
        for reader, reads in point.times.items():
            assert set(reads) == set(READS)
            assert all(t.server_ms > 0 for t in reads.values()), reader
            assert all((t.superuser_ms is None) == (reader in ("admin", "service_role")) for t in reads.values())
            assert all((t.floor_ms is None) == (reader in ("admin", "service_role")) for t in reads.values())
            assert all((t.bound_ms is None) == (reader in ("admin", "service_role")) for t in reads.values())
        counts = {reader: reads["count"].rows for reader, reads in point.times.items()}
        assert counts["owner"] == counts["staff"] == 7 * 20 and counts["grandchild staff"] == 20
        assert counts["chain top owner"] == counts["chain bottom staff"] == 300
        assert counts["candidate"] == counts["no profile"] == 0
        assert counts["admin"] == counts["service_role"] >= point.sets
        assert point.times["owner"]["one set with its steps"].rows == 8
        assert point.times["candidate"]["one set with its steps"].rows == 0
        assert "InitPlan 1" in point.plans["owner: count"]
        assert compares_with_the_set(point.plans["owner: count"], "merchant_id")
    targets = read_targets(points)
    assert set(targets) == {
        "reads: every reader of a small tenant <= 50 ms",
        "reads: every reader of a small tenant <= 3 x the superuser's filtered read",
        "reads: a reader who may see nothing <= 5 ms",
        "reads: 4,000 / 3,000 sets <= 1.5 for every reader of a tenant",
    }
    assert all(isinstance(t["met"], bool) and t["value"] > 0 for t in targets.values())
    # the two ratio targets carry what no design can beat beside them: the reads with the set
    # looked up by plain SQL, and the superuser's own growth
    ratio = targets["reads: every reader of a small tenant <= 3 x the superuser's filtered read"]
    growth = targets["reads: 4,000 / 3,000 sets <= 1.5 for every reader of a tenant"]
    assert ratio["bound"] > 0 and "plain SQL" in ratio["bound_note"]
    assert growth["bound"] > 0 and "superuser" in growth["bound_note"]
    # each names the read that sets it: a tenant reader's, at a measured size
    assert ratio["where"].split(", ")[0] in READERS and ratio["where"].endswith(" sets")
    assert growth["where"].split(", ")[1] in READS and growth["bound_where"].split(", ")[1] in READS
    assert "Reads through RLS: 4,000 sets" in "\n".join(format_reads(points))


def test_a_missed_read_target_says_when_its_bound_misses_too() -> None:
    """The performance page calls a missed target out of reach only when what no design can beat
    misses it as well; a bound within the target leaves the miss to the design."""
    from interview_db.bench import performance_markdown

    def page(bound: float, **where: str) -> str:
        target = {"value": 4.2, "met": False, "bound": bound, "bound_note": "the set looked up by plain SQL", **where}
        figures = {"postgres_version": "15.18", "cores": 2, "machine": "Linux x86_64", "sizes": [],
                   "targets": {"reads: every reader of a small tenant <= 3 x the superuser's filtered read": target}}
        return performance_markdown(figures)

    assert "| 4.2 | **missed**; the set looked up by plain SQL: 3.4, out of reach |" in page(3.4)
    assert "| 4.2 | **missed**; the set looked up by plain SQL: 2.1 |" in page(2.1)
    assert ("| 4.2 (staff, count, 100 sets) | **missed**; the set looked up by plain SQL: 3.4 (chain top owner, count, "
            "100 sets), out of reach |") in page(3.4, where="staff, count, 100 sets",
                                                  bound_where="chain top owner, count, 100 sets")


def test_the_ratio_on_the_loaded_database_is_shown_beside_the_empty_one() -> None:
    """With the server clock, the scale section measures the guarded sizes again on the loaded
    database; the text table and the performance page both show it."""
    from interview_db.bench import BenchResult, ScalePoint, Series, SizePoint, performance_markdown

    def point(n: int, rpc: float, floor: float) -> SizePoint:
        return SizePoint(n, Series(5, rpc, rpc), Series(5, floor, floor), round(rpc / floor, 2), rpc, floor,
                         round(rpc / floor, 2))

    scale = ScalePoint(sets=1000, merchants=10, question_records=10000, steps=12000, load_seconds=1.0,
                       before=Series(5, 2.0, 2.5), after=Series(5, 2.1, 2.6), ratio=1.05, statements_explained=40,
                       loaded_sizes=[point(10, 2.75, 1.25), point(200, 14.0, 9.0)])
    result = BenchResult(postgres_version="15.18", cores=2, machine="Linux x86_64", options={},
                         sizes=[point(10, 2.8, 1.1)], scale=scale)
    assert "  N=10 server rpc/floor on the loaded database: 2.75 / 1.25 ms, ratio 2.20" in format_table(result)
    assert "  N=200 server rpc/floor on the loaded database: 14.00 / 9.00 ms, ratio 1.56" in format_table(result)
    page = performance_markdown(json.loads(result.to_json()))
    assert ("The same on the loaded database (1,000 sets, 10,000 question records, 12,000 steps), where the floor's "
            "INSERTs meet full indexes: N=10: server RPC 2.75 ms, floor 1.25 ms, ratio 2.20; N=200: server RPC "
            "14.00 ms, floor 9.00 ms, ratio 1.56.") in page
    # the guards are judged on the empty database, and again on the loaded one
    result.evaluate_targets()
    assert result.targets["server rpc/floor at N=10 <= 2.4"] == {"value": 2.55, "met": False}
    assert result.targets["server rpc/floor at N=10 on the loaded database <= 2.4"] == {"value": 2.2, "met": True}
    assert result.targets["server rpc/floor at N=200 on the loaded database <= 1.6"] == {"value": 1.56, "met": True}
