"""interview-db export-supabase: the files, their names and versions, the
revisions of the function files, and seed.sql (without the Supabase CLI; see
test_supabase_cli.py for `supabase db push` itself)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from interview_db.cli import main
from interview_db.migrations import apply_shim
from interview_db.project import Project
from interview_db.seeds import seed, seed_script
from interview_db.supabase_export import DEFAULT_BASE, FUNCTIONS_NAME, ExportError, export_supabase, package_statements, statements

from .helpers import copy_project

CLI_NAME = re.compile(r"^[0-9]{14}_[a-z0-9_]+\.sql$")


def files_of(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_two_exports_of_an_unchanged_tree_are_byte_identical(project: Project, tmp_path: Path) -> None:
    first = export_supabase(project, tmp_path / "a")
    second = export_supabase(project, tmp_path / "b")

    assert files_of(tmp_path / "a") == files_of(tmp_path / "b")
    assert first.migrations == second.migrations and first.written == second.written


def test_one_file_per_migration_then_the_functions_then_the_seed_and_never_the_shim(
    project: Project, tmp_path: Path
) -> None:
    result = export_supabase(project, tmp_path)

    names = sorted(p.name for p in tmp_path.glob("*.sql") if p.name != "seed.sql")
    assert names == result.migrations and all(CLI_NAME.match(n) for n in names)
    expected = [f"interview_{p.stem}" for p in project.migration_files()] + [FUNCTIONS_NAME]
    assert [n[15:-4] for n in names] == expected
    # base + NNNN hours; the function files one minute after the last migration
    assert names[0].startswith("20250101010000_") and names[-1][:14] == f"{int(names[-2][:10]) :010d}0100"
    for path, migration in zip(sorted(tmp_path.glob("*_interview_0*.sql")), project.migration_files(), strict=True):
        exported = statements(path.read_text())
        # under migrate's search_path, then the package's statements, then the catalog's fingerprint
        assert exported[0] == "set local search_path = pg_catalog, pg_temp"
        assert package_statements(path.read_text()) == statements(migration.read_text())
        assert exported[-1].startswith("insert into interview_deploy.catalog_fingerprints")
    functions = (tmp_path / names[-1]).read_text()
    for path in project.function_files():
        assert f"-- sql/functions/{path.name}\n{path.read_text().rstrip()}" in functions
    assert (tmp_path / "seed.sql").read_text() == seed_script(project)

    everything = "".join(p.read_text() for p in tmp_path.iterdir())
    assert project.shim_file.read_text().strip()[:200] not in everything
    assert "create schema if not exists auth" not in everything
    assert "extensions.hmac(bytea, bytea, text)\nreturns" not in everything
    # of interview-db's bookkeeping, only the catalog's fingerprint (doctor compares with it)
    assert "_yoyo" not in everything and "migration_checksums" not in everything and "function_files" not in everything


def test_the_function_files_apply_in_their_exported_order_with_bodies_checked(
    project: Project, empty_db: str, tmp_path: Path
) -> None:
    export_supabase(project, tmp_path)
    with psycopg.connect(empty_db, autocommit=True) as conn:
        apply_shim(conn, project)
        for path in sorted(tmp_path.glob("*.sql")):
            if path.name == "seed.sql":
                continue
            text = path.read_text()
            if path.name.endswith(f"_{FUNCTIONS_NAME}.sql"):
                # without the `set local`: every sql-language body is checked, so each file's
                # dependencies must come first
                text = text.replace("set local check_function_bodies = off;", "")
                assert conn.execute("show check_function_bodies").fetchone()[0] == "on"
            with conn.transaction():
                conn.execute(text)
        conn.execute(seed_script(project))
        assert conn.execute("select count(*) from public.platform_languages").fetchone()[0] == 34
        assert not seed(conn, project).changed


def test_exporting_again_into_the_same_directory_writes_nothing(project: Project, tmp_path: Path) -> None:
    export_supabase(project, tmp_path)
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}

    again = export_supabase(project, tmp_path)

    assert not again.changed and again.written == [] and len(again.unchanged) == len(again.migrations)
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == before


def test_a_changed_function_file_adds_a_revision_that_drops_what_is_gone(project: Project, tmp_path: Path) -> None:
    copy = copy_project(project, tmp_path / "checkout")
    extra = copy.functions_dir / "interview_private.sample.sql"
    extra.write_text("create or replace function interview_private.sample(p integer, q text[] default null) "
                     "returns integer language sql immutable set search_path = '' as $$ select p $$;\n")
    out = tmp_path / "migrations"
    first = export_supabase(copy, out).migrations

    extra.unlink()
    second = export_supabase(copy, out)

    assert second.written == [second.migrations[-1]] and second.migrations[:-1] == first
    old, new = first[-1], second.migrations[-1]
    assert new[:14] == f"{old[:10]}{int(old[10:12]) + 1:02d}00" and new.endswith(f"_{FUNCTIONS_NAME}.sql")  # one minute later
    text = (out / new).read_text()
    assert "drop function if exists interview_private.sample(integer, text[]);" in text
    assert "interview_private.sample(p integer" not in text and (out / old).read_text().count("sample(p integer") == 1
    assert not export_supabase(copy, out).changed


def test_a_new_migration_goes_after_the_function_revisions_before_it(project: Project, tmp_path: Path) -> None:
    copy = copy_project(project, tmp_path / "checkout")
    out = tmp_path / "migrations"
    first = export_supabase(copy, out).migrations
    last = copy.migration_files()[-1].stem
    number = int(last[:4]) + 1
    (copy.migrations_dir / f"{number:04d}_later.sql").write_text("create table interview_private.later (id int primary key);\n")

    result = export_supabase(copy, out)

    assert result.written == [f"{result.migrations[-1]}"] and result.migrations[-1].endswith(f"_interview_{number:04d}_later.sql")
    assert result.migrations[-1] > first[-1]  # after the earlier revision of the functions, which did not change


def test_an_edited_exported_migration_is_refused(project: Project, tmp_path: Path) -> None:
    export_supabase(project, tmp_path)
    exported = sorted(tmp_path.glob("*_interview_0003_*.sql"))[0]
    exported.write_text(exported.read_text() + "\ncreate table public.sneaky (id int);\n")

    with pytest.raises(ExportError, match=f"{exported.name} differs from sql/migrations/0003_"):
        export_supabase(project, tmp_path)


def test_a_header_or_comment_change_of_an_exported_migration_is_not_an_edit(project: Project, tmp_path: Path) -> None:
    export_supabase(project, tmp_path)
    exported = sorted(tmp_path.glob("*_interview_0001_*.sql"))[0]
    exported.write_text("-- exported by an older interview-db\n" + exported.read_text())

    assert not export_supabase(project, tmp_path).changed


def test_another_base_timestamp_is_refused_where_an_export_exists(project: Project, tmp_path: Path) -> None:
    export_supabase(project, tmp_path)
    with pytest.raises(ExportError, match="exported with another base timestamp"):
        export_supabase(project, tmp_path, base="20260301000000")
    with pytest.raises(ExportError, match="14 digits"):
        export_supabase(project, tmp_path / "other", base="2026-03-01")


def test_the_command_writes_the_seed_where_asked_and_reports_as_json(project: Project, tmp_path: Path) -> None:
    runner = CliRunner()
    target = tmp_path / "supabase"
    done = runner.invoke(main, ["export-supabase", str(target / "migrations"), "--seed-file", str(target / "seed.sql")])
    assert done.exit_code == 0, done.output
    assert "Wrote" in done.output and "supabase db push" in done.output
    assert (target / "seed.sql").exists() and not (target / "migrations" / "seed.sql").exists()

    again = runner.invoke(
        main, ["export-supabase", str(target / "migrations"), "--seed-file", str(target / "seed.sql"), "--json"])
    assert again.exit_code == 0
    payload = json.loads(again.stdout)
    assert payload["written"] == [] and len(payload["migrations"]) == len(project.migration_files()) + 1

    bad = runner.invoke(main, ["export-supabase", str(tmp_path / "x"), "--base-timestamp", "tomorrow"])
    assert bad.exit_code == 1 and bad.output.startswith("Error: base timestamp must be 14 digits")
    assert DEFAULT_BASE in runner.invoke(main, ["export-supabase", "--help"]).output


def sample(parameters: str, returns: str, body: str) -> str:
    return (f"create or replace function interview_private.sample({parameters}) returns {returns} "
            f"language sql immutable set search_path = pg_catalog, pg_temp as $$ {body} $$;\n"
            f"revoke all on function interview_private.sample(integer) from public;\n")


def apply_export(conn: psycopg.Connection, directory: Path, names: list[str]) -> None:
    """What `supabase db push` does with each new file: its statements in one transaction."""
    for name in names:
        if name.endswith(".sql") and name != "seed.sql":
            with conn.transaction():
                conn.execute((directory / name).read_text())


@pytest.mark.parametrize("change", ["parameter rename", "return type", "default removed"])
def test_what_create_or_replace_cannot_change_is_exported_as_drop_and_create(
    project: Project, empty_db: str, tmp_path: Path, change: str
) -> None:
    copy = copy_project(project, tmp_path / "checkout")
    extra = copy.functions_dir / "interview_private.sample.sql"
    extra.write_text(sample("p integer default 1", "integer", "select p"))
    out = tmp_path / "migrations"
    first = export_supabase(copy, out)
    with psycopg.connect(empty_db, autocommit=True) as conn:
        apply_shim(conn, project)
        apply_export(conn, out, first.written)
        extra.write_text({
            "parameter rename": sample("renamed integer default 1", "integer", "select renamed"),
            "return type": sample("p integer default 1", "text", "select p::text"),
            "default removed": sample("p integer", "integer", "select p"),
        }[change])

        second = export_supabase(copy, out)

        revision = (out / second.written[0]).read_text()
        drop = "drop function if exists interview_private.sample(integer);"
        assert drop in revision and revision.index(drop) < revision.index("create or replace function interview_private.sample")
        apply_export(conn, out, second.written)  # create or replace alone fails here with 42P13
        assert conn.execute("select count(*) from pg_proc where proname = 'sample'").fetchone()[0] == 1
        assert not export_supabase(copy, out).changed


def test_two_migrations_with_one_number_are_not_exported(project: Project, tmp_path: Path) -> None:
    copy = copy_project(project, tmp_path / "checkout")
    (copy.migrations_dir / "0099_a.sql").write_text("create table interview_private.a (id int primary key);\n")
    (copy.migrations_dir / "0099_b.sql").write_text("create table interview_private.b (id int primary key);\n")

    with pytest.raises(ExportError, match="migrations 0099_a and 0099_b share the number 0099"):
        export_supabase(copy, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_directory_exported_from_a_newer_release_is_refused(project: Project, tmp_path: Path) -> None:
    newer = copy_project(project, tmp_path / "newer")
    (newer.migrations_dir / "0099_newer.sql").write_text("create table interview_private.newer (id int primary key);\n")
    out = tmp_path / "migrations"
    export_supabase(newer, out)
    before = files_of(out)

    with pytest.raises(ExportError) as caught:
        export_supabase(project, out)

    assert "holds 0099_newer, which this checkout does not have" in str(caught.value)
    assert "newer release (schema 0099_newer)" in str(caught.value)
    assert files_of(out) == before  # no older function bodies written over the newer ones


def test_an_unparsable_function_file_is_named_with_its_line(project: Project, tmp_path: Path) -> None:
    copy = copy_project(project, tmp_path / "checkout")
    (copy.functions_dir / "interview_private.broken.sql").write_text("-- fine\nselect 1;\n\nselect frm where;\n")

    result = CliRunner().invoke(main, ["export-supabase", str(tmp_path / "out")], env={"INTERVIEW_DB_PROJECT": str(copy.root)})

    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.strip() == 'Error: sql/functions/interview_private.broken.sql line 4: syntax error at or near ";"'


def test_files_pushed_by_an_earlier_export_still_compare_equal(project: Project, tmp_path: Path) -> None:
    """An export before this one wrote no search_path statement and no fingerprint: those
    files were pushed, so they must not count as edited."""
    export_supabase(project, tmp_path)
    for path in tmp_path.glob("*_interview_0*.sql"):
        text = path.read_text()
        older = text.split("-- interview-db: record the catalog")[0].replace("set local search_path = pg_catalog, pg_temp;\n", "")
        path.write_text(older)

    assert not export_supabase(project, tmp_path).changed


def test_each_exported_migration_runs_under_migrates_search_path(project: Project, empty_db: str, tmp_path: Path) -> None:
    export_supabase(project, tmp_path)
    with psycopg.connect(empty_db, autocommit=True) as conn:
        apply_shim(conn, project)
        first = sorted(tmp_path.glob("*_interview_0001_*.sql"))[0]
        with conn.transaction():
            conn.execute(first.read_text())
            assert conn.execute("show search_path").fetchone()[0] == "pg_catalog, pg_temp"
        assert conn.execute("show search_path").fetchone()[0] != "pg_catalog, pg_temp"  # set local: this file only


def test_without_seed_file_the_seed_goes_where_the_cli_reads_it(project: Project, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["export-supabase", str(tmp_path / "supabase" / "migrations")])

    assert result.exit_code == 0, result.output
    assert (tmp_path / "supabase" / "seed.sql").read_text() == seed_script(project)
    assert not (tmp_path / "supabase" / "migrations" / "seed.sql").exists()


# -- a full disk, a kill, an impossible directory --------------------------------


def _export_with_file_size_limit(target: Path, limit: int) -> "subprocess.CompletedProcess[str]":
    """The command in a process that may write files of at most ``limit`` bytes: a write
    past it fails with EFBIG mid-file, as a full disk fails it with ENOSPC."""
    import resource
    import signal
    import subprocess
    import sys

    def limit_file_size() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run([sys.executable, "-m", "interview_db", "export-supabase", str(target)], capture_output=True,
                          text=True, timeout=300, check=False, preexec_fn=limit_file_size)


def test_a_write_that_fails_mid_file_leaves_no_partial_file_and_the_next_export_completes(
    project: Project, tmp_path: Path
) -> None:
    reference = export_supabase(project, tmp_path / "reference")
    sizes = {name: (tmp_path / "reference" / name).stat().st_size for name in reference.migrations}
    functions = next(n for n in reference.migrations if n.endswith(f"_{FUNCTIONS_NAME}.sql"))
    assert sizes[functions] > max(v for k, v in sizes.items() if k != functions)  # only it exceeds the limit

    failed = _export_with_file_size_limit(tmp_path / "out", sizes[functions] // 2)

    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    assert failed.stderr.strip().splitlines() == [
        f"Error: cannot write {tmp_path / 'out' / functions}: File too large; nothing of it was left behind"]
    assert not (tmp_path / "out" / functions).exists()
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]  # no temporary file left

    again = export_supabase(project, tmp_path / "out")
    assert again.written == [functions, "seed.sql"] and again.completed == []
    assert files_of(tmp_path / "out") == files_of(tmp_path / "reference")


def test_a_truncated_file_an_earlier_export_left_is_written_whole_not_refused(project: Project, tmp_path: Path) -> None:
    """What the export before writes-by-rename left on a full disk: a 0-byte migration, a cut revision."""
    first = export_supabase(project, tmp_path)
    migration, functions = first.migrations[0], first.migrations[-1]
    whole = files_of(tmp_path)
    (tmp_path / migration).write_text("")
    (tmp_path / functions).write_bytes(whole[functions][:1000])

    again = CliRunner().invoke(main, ["export-supabase", str(tmp_path), "--json"])

    assert again.exit_code == 0, again.output
    payload = json.loads(again.stdout)
    assert payload["completed"] == [migration, functions] and payload["written"] == [migration, functions]
    assert files_of(tmp_path) == whole
    assert f"writing {migration} again: an earlier export left it incomplete (0 bytes)" in again.stderr
    # an edit that is not a cut-short write is still refused
    (tmp_path / migration).write_text(whole[migration].decode() + "\ncreate table public.extra (id int);\n")
    with pytest.raises(ExportError, match="a migration never changes once it was pushed"):
        export_supabase(project, tmp_path)


def test_an_impossible_directory_is_one_line_without_a_traceback(tmp_path: Path) -> None:
    for target, reason in (("/proc/nope", "No such file or directory"), ("/dev/null/sub", "Not a directory")):
        result = CliRunner().invoke(main, ["export-supabase", target])
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
        assert len(result.stderr.strip().splitlines()) == 1 and reason in result.stderr
