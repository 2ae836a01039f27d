"""The rule table is the one list of the request's fields: every file that repeats it
is generated from it (``interview-db generate``) and checked in as generated, and
adding an optional text field stored on the set is the rule row, a migration of the column, the
insert's column and value, and the regeneration, with no other file edited."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import psycopg
from click.testing import CliRunner

from interview_db.cli import main
from interview_db.generated_files import generate_all
from interview_db.localdb import LocalPostgres
from interview_db.migrations import migrate
from interview_db.project import Project
from interview_db.seeds import seed

from .helpers import TestDatabase, copy_project, minimal_body, rule_fields

FIELD = "interview_note"
RULE_LIST = "sql/functions/interview_private.request_field_rule_list.sql"
CREATE = "sql/functions/interview_private.create_interview.sql"
MIGRATION = "sql/migrations/0100_interview_note.sql"
GENERATED = {
    "sql/functions/public.job_interview_create_from_array.sql",
    "sql/functions/interview_private.passes_field_rules.sql",
    "sql/functions/interview_private.parse_request_texts.sql",
    "sql/types/interview_private.create_request.sql",
    "openapi/job_interview_create_from_array.json",
    "types/interview-db.ts",
}


def test_every_generated_file_is_checked_in_as_generated(db: TestDatabase, project: Project) -> None:
    with psycopg.connect(db.url, autocommit=True) as conn:
        generated = generate_all(conn, project)
    assert {p.relative_to(project.root).as_posix() for p in generated} == GENERATED
    for path, text in generated.items():
        assert path.read_text(encoding="utf-8") == text, f"{path} is out of date: run `interview-db generate --write`"


def test_the_rpc_takes_one_parameter_per_body_field_of_the_rules(db: TestDatabase) -> None:
    row = db.admin.execute(
        "select p.proargnames from pg_catalog.pg_proc as p where p.pronamespace = 'public'::regnamespace "
        "and p.proname = 'job_interview_create_from_array' and p.pronargs > 1"
    ).fetchone()
    assert row is not None and list(row["proargnames"]) == rule_fields("body")


def _files(root: Path) -> dict[str, str]:
    """Each file of the parts a contributor edits or generates, by path: its digest."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for part in ("sql", "supabase", "openapi", "types", "examples")
        for p in sorted((root / part).rglob("*")) if p.is_file()
    }


def _edit(path: Path, after: str, added: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(after) == 1, f"{path.name}: {after!r} is not one place"
    path.write_text(text.replace(after, after + added), encoding="utf-8")


def test_adding_an_optional_text_field_is_the_rule_the_column_the_insert_and_the_regeneration(
    pg_server: LocalPostgres, empty_db: str, project: Project, tmp_path: Path
) -> None:
    copy = copy_project(project, tmp_path)
    for part in ("openapi", "types", "examples"):
        shutil.copytree(project.root / part, tmp_path / part)
    before = _files(tmp_path)
    assert before == {k: v for k, v in _files(project.root).items() if k in before}

    # 1. the rule row
    last_body_rule = "      description => 'Repeat a call safely: the same key and body return the first response.'),\n"
    _edit(tmp_path / RULE_LIST, last_body_rule,
          f"    interview_private.field_rule('body', '{FIELD}', 'text',\n"
          f"      max_length => 500, description => 'A note kept with the interview.'),\n")
    # 2. the column, and only the column: the request's type is generated (sql/types)
    (tmp_path / MIGRATION).write_text(
        f"alter table public.interview_def_set add column {FIELD} text;\n"
        f"comment on column public.interview_def_set.{FIELD} is 'A note kept with the interview (the request''s "
        f"{FIELD}).';\n", encoding="utf-8")
    (tmp_path / MIGRATION.replace(".sql", ".rollback.sql")).write_text(
        f"alter table public.interview_def_set drop column {FIELD};\n", encoding="utf-8")
    # 3. the line that stores it: the insert's column and value (the parse of a plain text is generated)
    _edit(tmp_path / CREATE, "instructional_video_custom_text, is_embedded,", f" {FIELD},")
    _edit(tmp_path / CREATE, "    v_request.is_embedded,\n", f"    v_request.{FIELD},\n")
    # 4. the regeneration, on the database it deploys to
    migrate(empty_db, copy)
    runner = CliRunner()
    env = {"INTERVIEW_DB_PROJECT": str(tmp_path)}
    result = runner.invoke(main, ["generate", "--write", "--database-url", empty_db], env=env)
    assert result.exit_code == 0, result.output
    assert runner.invoke(main, ["generate", "--check", "--database-url", empty_db], env=env).exit_code == 0

    after = _files(tmp_path)
    edited = {path for path in after if before.get(path) != after[path]}
    assert edited == {RULE_LIST, MIGRATION, MIGRATION.replace(".sql", ".rollback.sql"), CREATE} | GENERATED
    assert FIELD in (tmp_path / "openapi/job_interview_create_from_array.json").read_text(encoding="utf-8")
    assert f"{FIELD}?:" in (tmp_path / "types/interview-db.ts").read_text(encoding="utf-8")

    assert f"  {FIELD} text" in (tmp_path / "sql/types/interview_private.create_request.sql").read_text(encoding="utf-8")
    assert "alter type" not in (tmp_path / MIGRATION).read_text(encoding="utf-8")

    # deployed (the type created again with the functions using it, the RPC's new signature
    # replacing the old one, in one transaction), the field is accepted and stored
    done = migrate(empty_db, copy)
    assert done.types_applied == ["interview_private.create_request.sql"] and not done.migrations_applied
    with psycopg.connect(empty_db, autocommit=True) as conn:
        seed(conn, copy)
    db = TestDatabase(pg_server, empty_db.rsplit("/", 1)[1].split("?")[0])
    try:
        owner = db.owner()
        response = db.rpc(minimal_body(**{FIELD: "  Ask about the on-call rota.  "}), owner)
        assert response.status == 200, response.body
        assert "warnings" not in response.body  # a field, not an ignored key
        stored = db.interview(response.body["interview_def_set_id"])
        assert stored[FIELD] == "Ask about the on-call rota."
        # absent stays null; too long is a 422 naming it, and nothing is written
        assert db.interview(db.rpc(minimal_body(), owner).body["interview_def_set_id"])[FIELD] is None
        counts = db.counts()
        refused = db.rpc(minimal_body(**{FIELD: "x" * 501}), owner)
        assert refused.status == 422 and refused.body["details"] == FIELD, refused.body
        assert db.counts() == counts
        overloads = db.admin.execute(
            "select count(*) as n from pg_catalog.pg_proc where proname = 'job_interview_create_from_array' "
            "and pronargs > 1").fetchone()
        assert overloads is not None and overloads["n"] == 1
    finally:
        db.close()
