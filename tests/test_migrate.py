"""interview-db migrate, status and rollback on real databases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from interview_db.db import DeployError
from interview_db.migrations import (
    EditedMigrationError,
    LockPolicy,
    MigrationError,
    NewerDeploymentError,
    migrate,
    plan,
    rollback,
    status,
)
from interview_db.project import Project

from .helpers import TestDatabase, copy_project, scalar


def test_migrate_on_plain_postgres_applies_the_shim_and_everything(empty_db: str, project: Project) -> None:
    result = migrate(empty_db, project)

    assert result.shim_applied and not result.supabase
    assert result.migrations_applied == [p.stem for p in project.migration_files()]
    assert sorted(result.functions_applied) == sorted(p.name for p in project.function_files())
    assert scalar(empty_db, "select to_regprocedure('auth.uid()') is not null")
    assert scalar(empty_db, "select count(*) from pg_roles where rolname in ('anon', 'authenticated', 'service_role', 'authenticator')") == 4
    assert scalar(empty_db, "select to_regprocedure('extensions.gen_random_bytes(integer)') is not null")
    assert scalar(empty_db, "select to_regclass('public.interview_def_set') is not null")
    # yoyo's bookkeeping is outside the exposed schemas
    assert scalar(empty_db, "select to_regclass('interview_deploy._yoyo_migration') is not null")
    assert scalar(empty_db, "select count(*) from pg_tables where schemaname = 'public' and tablename like '%yoyo%'") == 0

    again = migrate(empty_db, project)
    assert not again.changed and not again.shim_applied
    assert again.migrations_applied == again.functions_applied == []

    state = status(empty_db, project)
    assert state.shim and not state.supabase
    assert all(m.applied for m in state.migrations) and state.pending_migrations == []
    assert [f.state for f in state.functions] == ["applied"] * len(project.function_files())


def test_rollback_of_the_last_migration_and_migrate_again(empty_db: str, project: Project) -> None:
    migrate(empty_db, project)
    last = project.migration_files()[-1].stem

    assert rollback(empty_db, project, yes=True, allow_data_loss=True, keep_functions=True).rolled_back == [last]
    assert status(empty_db, project).pending_migrations == [last]
    assert scalar(empty_db, "select count(*) from interview_deploy._yoyo_log where operation = 'rollback'") == 1

    assert migrate(empty_db, project).migrations_applied == [last]
    state = status(empty_db, project)
    assert state.pending_migrations == [] and state.drifted_functions == []


def test_rollback_undoes_what_a_migration_made(empty_db: str, project: Project) -> None:
    migrate(empty_db, project)
    while (done := rollback(empty_db, project, yes=True, allow_data_loss=True,
                            keep_functions=True).rolled_back) != ["0009_private_records"]:
        assert done
    assert scalar(empty_db, "select to_regclass('interview_private.embed_keys')") is None
    assert migrate(empty_db, project).migrations_applied[0] == "0009_private_records"
    assert scalar(empty_db, "select to_regclass('interview_private.embed_keys') is not null")


def test_an_edited_applied_migration_stops_the_run(empty_db: str, project: Project, tmp_path: Path) -> None:
    copy = copy_project(project, tmp_path)
    migrate(empty_db, copy)
    edited = copy.migrations_dir / "0005_knowledge_base_stores.sql"
    edited.write_text(edited.read_text() + "\ncomment on table public.knowledge_base_stores is 'changed';\n")
    (copy.migrations_dir / "0099_new.sql").write_text("create table interview_private.newer (id int primary key);\n")

    with pytest.raises(EditedMigrationError, match="0005_knowledge_base_stores"):
        migrate(empty_db, copy)
    assert scalar(empty_db, "select to_regclass('interview_private.newer')") is None  # nothing after it ran
    assert status(empty_db, copy).edited_migrations == ["0005_knowledge_base_stores"]


def test_a_changed_function_file_is_reapplied_and_an_unchanged_one_is_not(
    empty_db: str, project: Project, tmp_path: Path
) -> None:
    copy = copy_project(project, tmp_path)
    migrate(empty_db, copy)
    changed = copy.functions_dir / "interview_private.normalize_tone.sql"
    changed.write_text(changed.read_text().replace("any other text (and null) is relaxed", "anything else: relaxed"))

    assert status(empty_db, copy).drifted_functions == ["interview_private.normalize_tone.sql"]
    result = migrate(empty_db, copy)
    assert result.functions_applied == ["interview_private.normalize_tone.sql"]
    assert result.migrations_applied == [] and result.functions_dropped == []
    assert migrate(empty_db, copy).functions_applied == []


def sample_function(arguments: str, returns: str, body: str) -> str:
    """A one-function file of interview_private.sample, for the tests of changing function files."""
    return (f"create or replace function interview_private.sample({arguments}) returns {returns} "
            f"language sql immutable set search_path = '' as $$ {body} $$;\n")


def test_a_function_whose_signature_changes_loses_its_old_overload(
    empty_db: str, project: Project, tmp_path: Path
) -> None:
    copy = copy_project(project, tmp_path)
    extra = copy.functions_dir / "interview_private.sample.sql"
    extra.write_text(sample_function("p integer", "integer", "select p"))
    migrate(empty_db, copy)
    extra.write_text(sample_function("p text", "text", "select p"))

    result = migrate(empty_db, copy)
    assert result.functions_dropped == ["interview_private.sample(integer)"]
    assert scalar(empty_db, "select to_regprocedure('interview_private.sample(integer)')") is None
    assert scalar(empty_db, "select to_regprocedure('interview_private.sample(text)') is not null")

    extra.unlink()
    assert migrate(empty_db, copy).functions_dropped == ["interview_private.sample(text)"]
    assert status(empty_db, copy).drifted_functions == []


def test_a_function_whose_return_type_changes_is_dropped_and_created_again(
    empty_db: str, project: Project, tmp_path: Path
) -> None:
    copy = copy_project(project, tmp_path)
    extra = copy.functions_dir / "interview_private.sample.sql"
    extra.write_text(sample_function("p integer", "integer", "select p"))
    migrate(empty_db, copy)
    extra.write_text(sample_function("p integer", "text", "select p::text || '!'"))

    result = migrate(empty_db, copy)
    assert result.functions_applied == ["interview_private.sample.sql"] and result.functions_dropped == []
    assert scalar(empty_db, "select interview_private.sample(1)") == "1!"


def test_rolling_back_a_type_and_migrating_again_restores_the_functions_using_it(
    empty_db: str, project: Project
) -> None:
    migrate(empty_db, project)
    type_migration = "0011_request_field_rule_type"
    while (done := rollback(empty_db, project, yes=True, allow_data_loss=True,
                            keep_functions=True).rolled_back) != [type_migration]:
        assert done  # roll back down to the migration that creates the type
    assert scalar(empty_db, "select to_regprocedure('interview_private.request_field_rule_list()')") is None
    assert "interview_private.request_field_rule_list.sql" in status(empty_db, project).drifted_functions

    result = migrate(empty_db, project)
    assert type_migration in result.migrations_applied
    assert "interview_private.request_field_rule_list.sql" in result.functions_applied
    assert scalar(empty_db, "select count(*) from interview_private.request_field_rules()") == 93
    assert status(empty_db, project).drifted_functions == []


def test_a_broken_migration_is_rolled_back_whole(empty_db: str, project: Project, tmp_path: Path) -> None:
    copy = copy_project(project, tmp_path)
    migrate(empty_db, copy)
    (copy.migrations_dir / "0099_broken.sql").write_text(
        "create table interview_private.half (id int primary key);\nselect 1 / 0;\n")

    with pytest.raises(MigrationError, match="0099_broken failed and was rolled back"):
        migrate(empty_db, copy)
    assert scalar(empty_db, "select to_regclass('interview_private.half')") is None
    assert status(empty_db, copy).pending_migrations == ["0099_broken"]


def test_the_shim_is_not_applied_where_auth_exists(empty_db: str, project: Project) -> None:
    # A stand-in for a Supabase database: roles, auth schema and helpers made by "Supabase", not by us.
    migrate_supabase_like = """
        create schema auth;
        create table auth.users (id uuid primary key, email varchar(255));
        create function auth.uid() returns uuid language sql stable as
          $$ select (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')::uuid $$;
        create function auth.jwt() returns jsonb language sql stable as
          $$ select nullif(current_setting('request.jwt.claims', true), '')::jsonb $$;
        create schema extensions;
        create extension if not exists pgcrypto with schema extensions;
    """
    with psycopg.connect(empty_db, autocommit=True) as conn:
        if not conn.execute("select exists (select from pg_available_extensions where name = 'pgcrypto')").fetchone()[0]:
            migrate_supabase_like = migrate_supabase_like.replace(
                "create extension if not exists pgcrypto with schema extensions;",
                project.pgcrypto_fallback_file.read_text().replace(
                    "grant execute on function extensions.gen_random_bytes(integer) to anon, authenticated, service_role;", ""
                ).replace("grant execute on function extensions.hmac(bytea, bytea, text) to anon, authenticated, service_role;", ""),
            )
        for role in ("anon", "authenticated", "service_role"):
            conn.execute(f"do $$ begin create role {role} nologin; exception when duplicate_object then null; end $$")
        conn.execute(migrate_supabase_like)

    result = migrate(empty_db, project)

    assert result.supabase and not result.shim_applied
    assert scalar(empty_db, "select to_regprocedure('auth.role()')") is None  # the shim would have made it
    assert scalar(empty_db, "select obj_description('auth'::regnamespace, 'pg_namespace')") is None
    assert result.migrations_applied


def test_two_migrate_processes_at_once_apply_everything_once(empty_db: str, project: Project) -> None:
    env = dict(os.environ, DATABASE_URL=empty_db)
    command = [sys.executable, "-m", "interview_db", "migrate"]
    procs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outputs = [p.communicate(timeout=300) for p in procs]

    assert [p.returncode for p in procs] == [0, 0], outputs
    applies = scalar(empty_db, "select count(*) from interview_deploy._yoyo_log where operation = 'apply'")
    assert applies == len(project.migration_files())
    assert sum("Nothing to do" in out for out, _ in outputs) == 1
    assert status(empty_db, project).pending_migrations == []


def test_an_unreachable_database_is_a_clear_error(project: Project) -> None:
    with pytest.raises(MigrationError, match="cannot connect to 127.0.0.1:1/nowhere"):
        migrate("postgresql://postgres@127.0.0.1:1/nowhere", project)


# -- functions known by signature, one transaction, errors with file and line --

TONE = "interview_private.normalize_tone.sql"
TONE_SIGNATURE = "interview_private.normalize_tone(text)"


def test_renaming_a_function_file_never_drops_its_function(empty_db: str, project: Project, tmp_path: Path) -> None:
    copy = copy_project(project, tmp_path)
    migrate(empty_db, copy)
    (copy.functions_dir / TONE).rename(copy.functions_dir / "interview_private.tone.sql")

    result = migrate(empty_db, copy)

    assert result.functions_dropped == [] and result.functions_applied == ["interview_private.tone.sql"]
    assert scalar(empty_db, "select to_regprocedure(%s) is not null", TONE_SIGNATURE)
    assert scalar(empty_db, "select interview_private.normalize_tone(' Simple ')::text") == "simple"
    assert scalar(empty_db, "select functions from interview_deploy.function_files where path = 'interview_private.tone.sql'") \
        == [TONE_SIGNATURE]
    assert scalar(empty_db, "select count(*) from interview_deploy.function_files where path = %s", TONE) == 0
    state = status(empty_db, copy)
    assert state.drifted_functions == [] and state.drift == []
    assert not migrate(empty_db, copy).changed


def test_moving_a_function_into_another_file_keeps_it(empty_db: str, project: Project, tmp_path: Path) -> None:
    copy = copy_project(project, tmp_path)
    migrate(empty_db, copy)
    moved = (copy.functions_dir / TONE).read_text()
    (copy.functions_dir / TONE).unlink()
    host = copy.functions_dir / "interview_private.detect_seniority.sql"
    host.write_text(host.read_text() + "\n" + moved)

    result = migrate(empty_db, copy)

    assert result.functions_dropped == []
    assert scalar(empty_db, "select to_regprocedure(%s) is not null", TONE_SIGNATURE)
    assert TONE_SIGNATURE in scalar(
        empty_db, "select functions from interview_deploy.function_files where path = %s", host.name)


def test_the_function_phase_is_one_transaction_and_names_the_broken_file_and_line(
    empty_db: str, project: Project, tmp_path: Path
) -> None:
    copy = copy_project(project, tmp_path)
    migrate(empty_db, copy)
    tone = copy.functions_dir / TONE
    tone.write_text(tone.read_text().replace("when 'simple' then", "when 'plain' then"))
    broken = copy.functions_dir / "interview_private.zz_broken.sql"
    broken.write_text("-- a file with an error on line 4\n\n"
                      "create or replace function interview_private.zz_broken() returns integer\n"
                      "language sql immutable set search_path = pg_catalog, pg_temp as $$ select 1 / $$;\n")

    with pytest.raises(MigrationError) as caught:
        migrate(empty_db, copy)

    assert str(caught.value).startswith("sql/functions/interview_private.zz_broken.sql line 4: syntax error")
    # the good file ran first, and its change did not commit without the rest
    assert "'plain'" not in scalar(empty_db, "select prosrc from pg_proc where oid = %s::regprocedure", TONE_SIGNATURE)
    assert status(empty_db, copy).drifted_functions == [TONE, broken.name]


def test_each_of_two_broken_files_is_blamed_for_its_own_error(empty_db: str, project: Project, tmp_path: Path) -> None:
    copy = copy_project(project, tmp_path)
    migrate(empty_db, copy)
    (copy.functions_dir / "interview_private.aa_first.sql").write_text(
        "create or replace function interview_private.aa_first() returns integer\n"
        "language sql immutable set search_path = pg_catalog, pg_temp as $$ select interview_private.nowhere_one() $$;\n")
    (copy.functions_dir / "interview_private.ab_second.sql").write_text(
        "\n\ncreate or replace function interview_private.ab_second() returns integer\n"
        "language sql immutable set search_path = pg_catalog, pg_temp as $$ select interview_private.nowhere_two() $$;\n")

    with pytest.raises(MigrationError) as caught:
        migrate(empty_db, copy)

    message = str(caught.value)
    assert message.startswith("sql/functions/interview_private.aa_first.sql line 2: function interview_private.nowhere_one()")
    assert "nowhere_two" not in message
    assert scalar(empty_db, "select count(*) from pg_proc where proname in ('aa_first', 'ab_second')") == 0


def test_a_parameter_rename_is_dropped_and_created_in_the_same_transaction(
    empty_db: str, project: Project, tmp_path: Path
) -> None:
    copy = copy_project(project, tmp_path)
    extra = copy.functions_dir / "interview_private.sample.sql"
    extra.write_text(sample_function("p integer", "integer", "select p"))
    migrate(empty_db, copy)
    extra.write_text(sample_function("renamed integer", "integer", "select renamed + 1"))

    result = migrate(empty_db, copy)

    assert result.functions_applied == ["interview_private.sample.sql"] and result.functions_dropped == []
    assert scalar(empty_db, "select interview_private.sample(renamed => 1)") == 2


def test_an_overload_made_by_hand_is_dropped_by_migrate(db: TestDatabase, project: Project) -> None:
    db.admin.execute("create function interview_private.normalize_tone(integer) returns text language sql "
                     "immutable set search_path = pg_catalog, pg_temp as $$ select 'x' $$")
    assert "interview_private.normalize_tone(integer): an overload no file defines" in " ".join(status(db.url, project).drift)

    result = migrate(db.url, project)

    assert result.functions_dropped == ["interview_private.normalize_tone(integer)"]
    assert scalar(db.url, "select count(*) from pg_proc where proname = 'normalize_tone'") == 1
    assert status(db.url, project).drift == [] and not migrate(db.url, project).changed


# -- what migrate refuses before it changes anything ---------------------------


def test_a_database_deployed_from_a_newer_release_is_refused(empty_db: str, project: Project, tmp_path: Path) -> None:
    newer = copy_project(project, tmp_path / "newer")
    (newer.migrations_dir / "0099_newer.sql").write_text("create table interview_private.newer (id int primary key);\n")
    extra = newer.functions_dir / "interview_private.sample.sql"
    extra.write_text(sample_function("p integer", "integer", "select p"))
    migrate(empty_db, newer)

    with pytest.raises(NewerDeploymentError) as caught:
        migrate(empty_db, project)

    message = str(caught.value)
    assert "0099_newer" in message and "newer release, schema 0099_newer" in message
    assert f"this checkout deploys schema {project.schema_version}" in message
    assert scalar(empty_db, "select to_regprocedure('interview_private.sample(integer)') is not null")  # not dropped
    assert status(empty_db, project).newer_migrations == ["0099_newer"]


def test_two_migrations_with_one_number_are_refused(empty_db: str, project: Project, tmp_path: Path) -> None:
    copy = copy_project(project, tmp_path)
    (copy.migrations_dir / "0099_a.sql").write_text("create table interview_private.a (id int primary key);\n")
    (copy.migrations_dir / "0099_b.sql").write_text("create table interview_private.b (id int primary key);\n")

    with pytest.raises(MigrationError, match="migrations 0099_a and 0099_b share the number 0099"):
        migrate(empty_db, copy)
    assert scalar(empty_db, "select to_regnamespace('auth')") is None  # nothing applied, not even the shim


def test_a_new_migration_older_than_an_applied_one_is_refused(empty_db: str, project: Project, tmp_path: Path) -> None:
    copy = copy_project(project, tmp_path)
    (copy.migrations_dir / "0099_late.sql").write_text("create table interview_private.late (id int primary key);\n")
    migrate(empty_db, copy)
    (copy.migrations_dir / "0098_early.sql").write_text("create table interview_private.early (id int primary key);\n")

    with pytest.raises(MigrationError, match="0098_early sort before 0099_late, which is applied already"):
        migrate(empty_db, copy)
    assert scalar(empty_db, "select to_regclass('interview_private.early')") is None


@pytest.mark.parametrize("extension", ["pgcrypto", "fuzzystrmatch"])
def test_an_extension_in_public_is_refused_before_anything_is_applied(
    empty_db: str, project: Project, extension: str
) -> None:
    with psycopg.connect(empty_db, autocommit=True) as conn:
        available = conn.execute("select exists (select from pg_available_extensions where name = %s)",
                                 (extension,)).fetchone()[0]
        if not available:  # the embedded wheel has no pgcrypto (its stand-ins are the shim's)
            pytest.skip(f"{extension} is not available on this PostgreSQL")
        conn.execute(f"create extension {extension} with schema public")

    with pytest.raises(MigrationError) as caught:
        migrate(empty_db, project)

    assert f"extension {extension} is installed in schema public" in str(caught.value)
    assert f"alter extension {extension} set schema extensions" in str(caught.value)
    assert scalar(empty_db, "select to_regnamespace('auth')") is None
    assert scalar(empty_db, "select to_regnamespace('interview_deploy')") is None


def test_a_plain_postgres_with_an_auth_schema_of_its_own_is_not_taken_for_supabase(
    empty_db: str, project: Project
) -> None:
    with psycopg.connect(empty_db, autocommit=True) as conn:
        conn.execute("create schema auth; create table auth.accounts (id int primary key)")

    with pytest.raises(MigrationError, match="auth schema of its own"):
        migrate(empty_db, project)


def test_status_and_doctor_after_rolling_back_migrations_are_answers_not_errors(
    empty_db: str, project: Project
) -> None:
    from interview_db.doctor import diagnose

    migrate(empty_db, project)
    # back to (and past) the latest migration whose rollback takes functions with it
    rolled = 0
    while "missing" not in {f.state for f in status(empty_db, project).functions}:
        assert len(rollback(empty_db, project, count=1, yes=True, allow_data_loss=True,
                            keep_functions=True).rolled_back) == 1
        rolled += 1
    assert 1 <= rolled < len(project.migration_files())

    state = status(empty_db, project)
    assert len(state.pending_migrations) == rolled
    checks = {c.name: c for c in diagnose(empty_db, project).checks}
    assert checks["migrations"].ok is False and "pending" in checks["migrations"].summary
    assert migrate(empty_db, project).migrations_applied == [p.stem for p in project.migration_files()[-rolled:]]
    assert status(empty_db, project).drifted_functions == []


def test_a_function_someone_else_created_first_is_given_to_the_deployer(empty_db: str, project: Project) -> None:
    role = f"squatter_{urlsplit(empty_db).path.lstrip('/')}"
    with psycopg.connect(empty_db, autocommit=True) as conn:
        conn.execute(f"create role {role} nologin")
        conn.execute("create function public.job_interview_create_from_array(json) returns jsonb language sql "
                     "as $$ select '{}'::jsonb $$")
        conn.execute(f"alter function public.job_interview_create_from_array(json) owner to {role}")
    try:
        result = migrate(empty_db, project)

        signature = "public.job_interview_create_from_array(json)"
        assert f"{signature}: owner was {role}, not the deployer" in result.repaired
        assert scalar(empty_db, "select pg_get_userbyid(proowner) = current_user from pg_proc "
                                "where oid = %s::regprocedure", signature)
        assert status(empty_db, project).drift == []
    finally:
        with psycopg.connect(empty_db, autocommit=True) as conn:
            conn.execute(f"drop owned by {role}")
            conn.execute(f"drop role {role}")


# -- one transaction per upgrade (issue 22) -------------------------------------


def _deployment(url: str) -> tuple[object, ...]:
    return (scalar(url, "select array_agg(migration_id order by migration_id) from interview_deploy._yoyo_migration"),
            scalar(url, "select array_agg(path || sha256 order by path) from interview_deploy.function_files"))


def test_a_failing_function_file_rolls_back_the_migrations_of_the_same_upgrade(
    empty_db: str, project: Project, tmp_path: Path
) -> None:
    copy = copy_project(project, tmp_path)
    migrate(empty_db, copy)
    before = _deployment(empty_db)
    (copy.migrations_dir / "0099_new_table.sql").write_text("create table interview_private.new_table (id int);\n")
    (copy.migrations_dir / "0099_new_table.rollback.sql").write_text("drop table interview_private.new_table;\n")
    (copy.functions_dir / "interview_private.zz_broken.sql").write_text(
        "create function interview_private.zz_broken() returns integer language plpgsql\n"
        "set search_path = pg_catalog, pg_temp as $$\nbegin\n  retrun 1;\nend\n$$;\n")
    with pytest.raises(DeployError, match="zz_broken.sql line"):
        migrate(empty_db, copy)
    assert scalar(empty_db, "select to_regclass('interview_private.new_table')") is None
    assert _deployment(empty_db) == before


def test_a_migration_that_must_run_outside_a_transaction_is_refused(
    empty_db: str, project: Project, tmp_path: Path
) -> None:
    copy = copy_project(project, tmp_path)
    (copy.migrations_dir / "0099_concurrently.sql").write_text(
        "-- transactional: false\ncreate index concurrently on interview_private.idempotency_keys (created_at);\n")
    with pytest.raises(DeployError, match="0099_concurrently must run outside a transaction"):
        migrate(empty_db, copy)
    assert scalar(empty_db, "select to_regclass('interview_deploy._yoyo_migration')") is None


def test_a_lock_held_by_a_long_transaction_delays_the_upgrade_never_the_api(
    empty_db: str, project: Project, tmp_path: Path
) -> None:
    copy = copy_project(project, tmp_path)
    migrate(empty_db, copy)
    (copy.migrations_dir / "0099_alter.sql").write_text(
        "alter table public.merchants add column zz_note text;\n")
    (copy.migrations_dir / "0099_alter.rollback.sql").write_text("alter table public.merchants drop column zz_note;\n")
    with psycopg.connect(empty_db) as long_reader:
        long_reader.execute("select count(*) from public.merchants")  # holds ACCESS SHARE until it ends
        with pytest.raises(DeployError, match="not granted within 0.2s, 2 times"):
            migrate(empty_db, copy, policy=LockPolicy(timeout=0.2, attempts=2))
        # while the deploy waited, other sessions were never queued behind it for long
        long_reader.rollback()
    result = migrate(empty_db, copy, policy=LockPolicy(timeout=0.2, attempts=2))
    assert result.migrations_applied == ["0099_alter"]


def test_a_deleted_function_file_that_deployed_functions_call_is_refused_naming_them(
    empty_db: str, project: Project, tmp_path: Path
) -> None:
    copy = copy_project(project, tmp_path)
    (copy.functions_dir / "interview_private.zz_callee.sql").write_text(
        "create function interview_private.zz_callee() returns integer language sql\n"
        "set search_path = pg_catalog, pg_temp as $$ select 1 $$;\n")
    (copy.functions_dir / "interview_private.zz_caller.sql").write_text(
        "create function interview_private.zz_caller() returns integer language plpgsql\n"
        "set search_path = pg_catalog, pg_temp as $$\nbegin\n  return interview_private.zz_callee();\nend\n$$;\n")
    migrate(empty_db, copy)
    (copy.functions_dir / "interview_private.zz_callee.sql").unlink()
    with pytest.raises(DeployError, match=r"call interview_private.zz_callee: interview_private.zz_caller\(\)"):
        migrate(empty_db, copy)
    assert scalar(empty_db, "select interview_private.zz_caller()") == 1


def test_migrate_plan_says_what_it_would_apply_and_changes_nothing(empty_db: str, project: Project) -> None:
    first = plan(empty_db, project)
    assert first.shim and first.migrations == [p.stem for p in project.migration_files()]
    assert scalar(empty_db, "select count(*) from pg_namespace where nspname = 'interview_deploy'") == 0
    migrate(empty_db, project)
    assert plan(empty_db, project).nothing_to_do
    done = subprocess.run([sys.executable, "-m", "interview_db", "migrate", "--plan", "--json",
                           "--database-url", empty_db], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and json.loads(done.stdout)["nothing_to_do"] is True


def test_a_function_that_goes_away_is_dropped_only_once_older_transactions_have_ended(
    empty_db: str, project: Project, tmp_path: Path
) -> None:
    copy = copy_project(project, tmp_path)
    for name in ("interview_private.zz_old", "public.zz_old_api"):
        (copy.functions_dir / f"{name}.sql").write_text(
            f"create function {name}() returns integer language sql\n"
            "set search_path = pg_catalog, pg_temp as $$ select 1 $$;\n")
    migrate(empty_db, copy)
    for name in ("interview_private.zz_old", "public.zz_old_api"):
        (copy.functions_dir / f"{name}.sql").unlink()
    with psycopg.connect(empty_db) as older:
        older.execute("select 1")  # a transaction that began before the upgrade, still open
        result = migrate(empty_db, copy, policy=LockPolicy(drain_timeout=0.5))
        assert result.functions_dropped == []
        assert sorted(result.functions_left) == ["interview_private.zz_old()", "public.zz_old_api()"]
        assert scalar(empty_db, "select to_regprocedure('interview_private.zz_old()') is not null")
        # out of PostgREST's reach at once (an overload there would make calls ambiguous), not dropped
        assert scalar(empty_db, "select to_regprocedure('public.zz_old_api()')") is None
        assert scalar(empty_db, "select count(*) from pg_proc where pronamespace = 'interview_deploy'::regnamespace") == 1
    again = migrate(empty_db, copy)
    assert sorted(again.functions_dropped) == ["interview_private.zz_old()", "public.zz_old_api()"]
    assert scalar(empty_db, "select count(*) from pg_proc where pronamespace = 'interview_deploy'::regnamespace") == 0
    assert scalar(empty_db, "select to_regprocedure('interview_private.zz_old()')") is None
    assert status(empty_db, copy).drift == []


def test_two_deleted_files_that_call_each_other_go_together(empty_db: str, project: Project, tmp_path: Path) -> None:
    copy = copy_project(project, tmp_path)
    (copy.functions_dir / "public.zz_a.sql").write_text(
        "create function public.zz_a() returns integer language plpgsql\n"
        "set search_path = pg_catalog, pg_temp as $$\nbegin\n  return public.zz_b();\nend\n$$;\n")
    (copy.functions_dir / "public.zz_b.sql").write_text(
        "create function public.zz_b() returns integer language plpgsql\n"
        "set search_path = pg_catalog, pg_temp as $$\nbegin\n  return public.zz_a();\nend\n$$;\n")
    migrate(empty_db, copy)
    (copy.functions_dir / "public.zz_a.sql").unlink()
    (copy.functions_dir / "public.zz_b.sql").unlink()
    assert sorted(migrate(empty_db, copy).functions_dropped) == ["public.zz_a()", "public.zz_b()"]
