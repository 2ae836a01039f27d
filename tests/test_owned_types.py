"""The types only functions use live in sql/types and are deployed with the functions:
a changed type file is dropped and created again, with every function that takes,
returns or names it, in the upgrade's one transaction; a table using such a type is
refused by name; a type altered by hand is drift; the Supabase CLI export creates
the same types."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from interview_db.cli import main
from interview_db.db import DeployError
from interview_db.localdb import LocalPostgres
from interview_db.migrations import migrate, rollback, status
from interview_db.project import Project
from interview_db.seeds import seed
from interview_db.supabase_export import FUNCTIONS_NAME, export_supabase

from .helpers import TestDatabase, copy_project, minimal_body, scalar

QUESTION_ITEM = "sql/types/interview_private.question_item.sql"
LAST_ATTRIBUTE = "  conditional_on_n integer\n"


def _attributes(url: str, name: str) -> list[str]:
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "select a.attname from pg_catalog.pg_attribute as a where a.attrelid = "
            "(select typrelid from pg_catalog.pg_type where oid = %s::regtype) and a.attnum > 0 "
            "and not a.attisdropped order by a.attnum", (name,)).fetchall()
    return [str(r[0]) for r in rows]


PARSE_QUESTIONS = "sql/functions/interview_private.parse_questions.sql"
LAST_VALUE = "            end)::interview_private.question_item"


def _add_attribute(root: Path) -> None:
    """A new attribute of the question item, and the value the parse gives it (the item is built by position)."""
    for name, old, new in (
        (QUESTION_ITEM, LAST_ATTRIBUTE, "  conditional_on_n integer,\n  reviewer_note text\n"),
        (PARSE_QUESTIONS, LAST_VALUE, LAST_VALUE.replace(" end)", " end, 'noted')")),
    ):
        path = root / name
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1
        path.write_text(text.replace(old, new), encoding="utf-8")


def _database(pg_server: LocalPostgres, url: str, project: Project) -> TestDatabase:
    with psycopg.connect(url, autocommit=True) as conn:
        seed(conn, project)
    return TestDatabase(pg_server, url.rsplit("/", 1)[1].split("?")[0])


def test_the_function_owned_types_are_files_of_sql_types_and_no_table_uses_them(project: Project) -> None:
    assert [p.name for p in project.type_files()] == [
        "interview_private.create_request.sql", "interview_private.question_item.sql",
        "interview_private.request_field_rule.sql"]


def test_a_changed_type_file_is_created_again_with_its_functions_and_the_rpc_works(
    pg_server: LocalPostgres, empty_db: str, project: Project, tmp_path: Path
) -> None:
    copy = copy_project(project, tmp_path)
    migrate(empty_db, copy)
    db = _database(pg_server, empty_db, copy)
    try:
        owner = db.owner()
        assert db.rpc(minimal_body(), owner).status == 200
        functions_before = scalar(empty_db, "select count(*) from pg_proc where pronamespace = "
                                            "'interview_private'::regnamespace")

        _add_attribute(tmp_path)
        done = migrate(empty_db, copy)
        assert not done.migrations_applied
        # the type, and create_request whose questions are of it, both created again
        assert done.types_applied == ["interview_private.question_item.sql", "interview_private.create_request.sql"]
        # every function that took or returned them is back (created again by its file), and those naming them ran
        assert {"interview_private.parse_questions.sql", "interview_private.parse_request.sql",
                "interview_private.create_interview.sql"} <= set(done.functions_applied)
        assert scalar(empty_db, "select count(*) from pg_proc where pronamespace = "
                                "'interview_private'::regnamespace") == functions_before
        assert _attributes(empty_db, "interview_private.question_item")[-1] == "reviewer_note"
        assert "questions" in _attributes(empty_db, "interview_private.create_request")

        response = db.rpc(minimal_body(questions=["One?", "Two?"]), owner)
        assert response.status == 200 and response.body["questions_created"] == 2, response.body
        state = status(empty_db, copy)
        assert {t.state for t in state.types} == {"applied"} and not state.drifted_functions and not state.drift
        assert not migrate(empty_db, copy).changed  # a second run has nothing to do
    finally:
        db.close()


def test_a_type_change_and_a_failing_function_file_leave_the_old_release_whole(
    empty_db: str, project: Project, tmp_path: Path
) -> None:
    copy = copy_project(project, tmp_path)
    migrate(empty_db, copy)
    before = _attributes(empty_db, "interview_private.question_item")
    _add_attribute(tmp_path)
    (tmp_path / "sql/functions/interview_private.zz_broken.sql").write_text(
        "create or replace function interview_private.zz_broken() returns int language sql immutable\n"
        "set search_path = pg_catalog, pg_temp as $$ select no_such_column from pg_catalog.pg_class $$;\n",
        encoding="utf-8")
    with pytest.raises(DeployError, match="zz_broken"):
        migrate(empty_db, copy)
    # one transaction: the type is as it was, and so is every function that takes it
    assert _attributes(empty_db, "interview_private.question_item") == before
    assert scalar(empty_db, "select count(*) from pg_proc where proname = 'parse_questions'") == 1


def test_a_table_using_a_type_of_sql_types_stops_the_deploy_by_name(
    empty_db: str, project: Project, tmp_path: Path
) -> None:
    copy = copy_project(project, tmp_path)
    migrate(empty_db, copy)
    (tmp_path / "sql/migrations/0100_keep_items.sql").write_text(
        "create table interview_private.kept_items (item interview_private.question_item);\n"
        "comment on table interview_private.kept_items is 'A table that must not use a function-owned type.';\n",
        encoding="utf-8")
    (tmp_path / "sql/migrations/0100_keep_items.rollback.sql").write_text(
        "drop table interview_private.kept_items;\n", encoding="utf-8")
    assert migrate(empty_db, copy).migrations_applied == ["0100_keep_items"]  # the type did not change: allowed
    _add_attribute(tmp_path)
    with pytest.raises(DeployError, match=r"column item of table interview_private\.kept_items uses it.*belongs in a "
                                          "migration"):
        migrate(empty_db, copy)
    assert "reviewer_note" not in _attributes(empty_db, "interview_private.question_item")


def test_a_type_altered_by_hand_is_drift_and_migrate_creates_it_again(db: TestDatabase, project: Project) -> None:
    db.admin.execute("alter type interview_private.request_field_rule add attribute by_hand text")
    state = status(db.url, project)
    assert [t.path for t in state.types if t.state == "drifted"] == ["interview_private.request_field_rule.sql"]
    assert any(d.startswith("interview_private.request_field_rule: attributes altered since it was deployed "
                            "(added: by_hand text)") for d in state.drift), state.drift
    doctor = CliRunner().invoke(main, ["doctor", "--database-url", db.url])
    assert "sql/types/interview_private.request_field_rule.sql" in doctor.output
    assert "attributes altered" in doctor.output

    planned = CliRunner().invoke(main, ["migrate", "--plan", "--database-url", db.url])
    assert "type file interview_private.request_field_rule.sql (drifted)" in planned.output, planned.output

    done = migrate(db.url, project)
    assert done.types_applied == ["interview_private.request_field_rule.sql"]
    assert any(r.startswith("interview_private.request_field_rule: attributes altered") for r in done.repaired)
    assert "by_hand" not in _attributes(db.url, "interview_private.request_field_rule")
    assert db.rpc(minimal_body(), db.owner()).status == 200
    assert not status(db.url, project).drift


def test_the_supabase_export_creates_the_types_before_the_functions_and_a_type_change_is_a_revision(
    db: TestDatabase, project: Project, tmp_path: Path
) -> None:
    copy = copy_project(project, tmp_path / "tree")
    out = tmp_path / "migrations"
    export_supabase(copy, out)
    [revision] = sorted(out.glob(f"*_{FUNCTIONS_NAME}.sql"))
    text = revision.read_text(encoding="utf-8")
    assert text.index("create type interview_private.question_item") < text.index(
        "create type interview_private.create_request") < text.index("create or replace function")
    assert text.index("drop type if exists interview_private.create_request cascade") < text.index(
        "drop type if exists interview_private.question_item cascade")

    # the revision runs on a deployed database (as `supabase db push` runs it: one transaction)
    owner = db.owner()
    with psycopg.connect(db.url) as conn:
        conn.execute(text)
    assert db.rpc(minimal_body(), owner).status == 200

    _add_attribute(tmp_path / "tree")
    written = export_supabase(copy, out).written
    assert [n for n in written if n.endswith(f"_{FUNCTIONS_NAME}.sql")], written
    newest = sorted(out.glob(f"*_{FUNCTIONS_NAME}.sql"))[-1].read_text(encoding="utf-8")
    with psycopg.connect(db.url) as conn:
        conn.execute(newest)
    assert _attributes(db.url, "interview_private.question_item")[-1] == "reviewer_note"
    assert db.rpc(minimal_body(questions=["One?", "Two?"]), owner).status == 200

    # a table using one of the types stops the revision by name, and nothing of it is applied
    db.admin.execute("create table public.zz_items (item interview_private.question_item)")
    with pytest.raises(psycopg.errors.RaiseException, match="zz_items .*uses a type of sql/types"):
        with psycopg.connect(db.url) as conn:
            conn.execute(newest)
    assert scalar(db.url, "select to_regclass('public.zz_items') is not null")


def test_lint_checks_the_type_files(project: Project, tmp_path: Path) -> None:
    copy = copy_project(project, tmp_path)
    bad = tmp_path / "sql/types/interview_private.other_name.sql"
    bad.write_text("create type interview_private.some_type as (a int);\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["lint"], env={"INTERVIEW_DB_PROJECT": str(copy.root)})
    assert result.exit_code == 1
    assert "creates interview_private.some_type: a type file is named <schema>.<name>.sql" in result.output
    assert "type interview_private.some_type has no `comment on type`" in result.output


def test_a_rollback_to_a_release_before_sql_types_puts_the_types_back_as_its_migrations_left_them(
    pg_server: LocalPostgres, empty_db: str, project: Project, tmp_path: Path
) -> None:
    copy = copy_project(project, tmp_path / "now")
    (tmp_path / "now/sql/migrations/0100_notes.sql").write_text(
        "create table interview_private.notes (id integer primary key);\n"
        "comment on table interview_private.notes is 'A table of the release after the type changed.';\n",
        encoding="utf-8")
    (tmp_path / "now/sql/migrations/0100_notes.rollback.sql").write_text(
        "drop table interview_private.notes;\n", encoding="utf-8")
    _add_attribute(tmp_path / "now")
    migrate(empty_db, copy)
    assert _attributes(empty_db, "interview_private.question_item")[-1] == "reviewer_note"

    # the release before: today's schema, no sql/types (its types are the migrations')
    before = copy_project(project, tmp_path / "before")
    for path in before.type_files():
        path.unlink()
    before.types_dir.rmdir()
    done = rollback(empty_db, copy, count=1, yes=True, functions_from=before.root)
    assert done.rolled_back == ["0100_notes"]
    assert _attributes(empty_db, "interview_private.question_item")[-1] == "conditional_on_n"
    assert scalar(empty_db, "select count(*) from interview_deploy.type_files") == 0
    db = _database(pg_server, empty_db, before)
    try:
        response = db.rpc(minimal_body(questions=["One?", "Two?"]), db.owner())
        assert response.status == 200 and response.body["questions_created"] == 2, response.body
    finally:
        db.close()
    # and forward again: the types taken over once more, and created from their files
    again = migrate(empty_db, copy)
    assert again.migrations_applied == ["0100_notes"] and "interview_private.question_item.sql" in again.types_applied
    assert _attributes(empty_db, "interview_private.question_item")[-1] == "reviewer_note"
