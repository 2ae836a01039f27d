"""interview-db doctor: each finding on real databases, what it says to run
next, and its exit code (0 healthy, 1 otherwise)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
from click.testing import CliRunner

from interview_db import __version__
from interview_db.cli import main
from interview_db.doctor import MIGRATE, SEED, diagnose
from interview_db.migrations import migrate
from interview_db.project import Project
from interview_db.seeds import TEMPLATES_FILE, seed_data

from .helpers import TestDatabase, copy_project


def doctor(url: str, *extra: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(main, ["doctor", "--database-url", url, "--json", *extra])
    return result.exit_code, json.loads(result.stdout)


def by_name(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {check["name"]: check for check in payload["checks"]}


def test_a_migrated_and_seeded_database_is_healthy(db: TestDatabase, project: Project) -> None:
    code, payload = doctor(db.url)

    assert code == 0 and payload["healthy"] is True and payload["next_steps"] == []
    checks = by_name(payload)
    assert [c["name"] for c in payload["checks"]] == [
        "package", "reachable", "server", "platform", "deployment", "migrations", "functions", "catalog", "rpc", "seed",
        "plpgsql_check"]
    assert checks["server"]["summary"].startswith("PostgreSQL ")
    # which files it judges by: this checkout's (an installed wheel says "from the wheel ...")
    assert checks["package"]["summary"] == (
        f"interview-db {__version__}, schema {project.schema_version}, files from the checkout {project.root}")
    assert checks["platform"]["summary"] == "plain PostgreSQL with the local Supabase shim"
    assert checks["deployment"]["summary"] == "deployed with interview-db migrate"
    templates = len(seed_data(project)[TEMPLATES_FILE])
    assert checks["seed"] == {"name": "seed", "ok": True, "summary": f"34 of 34 languages, {templates} of {templates} templates",
                              "fix": None}
    assert checks["plpgsql_check"]["ok"] is None  # information either way

    text = CliRunner().invoke(main, ["doctor", "--database-url", db.url])
    assert text.exit_code == 0 and "Healthy." in text.output and "Next:" not in text.output


def test_an_empty_database_is_not_deployed_and_doctor_says_migrate(empty_db: str) -> None:
    code, payload = doctor(empty_db)

    assert code == 1 and payload["healthy"] is False
    checks = by_name(payload)
    assert checks["platform"]["summary"].startswith("plain PostgreSQL without the Supabase shim")
    assert checks["deployment"]["ok"] is False and payload["next_steps"][0].startswith(MIGRATE)
    assert "migrations" not in checks and "seed" not in checks

    text = CliRunner().invoke(main, ["doctor", "--database-url", empty_db])
    assert text.exit_code == 1 and "FAIL" in text.output and f"Next:\n  {MIGRATE}" in text.output


def test_pending_migrations_drifted_functions_and_a_missing_seed_each_say_what_to_run(
    empty_db: str, project: Project, tmp_path: Path
) -> None:
    copy = copy_project(project, tmp_path)
    migrate(empty_db, copy)
    (copy.migrations_dir / "0099_later.sql").write_text("create table interview_private.later (id int primary key);\n")
    tone = copy.functions_dir / "interview_private.normalize_tone.sql"
    tone.write_text(tone.read_text() + "\n-- changed\n")

    result = diagnose(empty_db, copy)

    checks = {c.name: c for c in result.checks}
    assert not result.healthy
    assert checks["migrations"].ok is False and "pending: 0099_later" in checks["migrations"].summary
    assert checks["functions"].ok is False and "interview_private.normalize_tone.sql" in checks["functions"].summary
    assert checks["seed"].ok is False and checks["seed"].summary.startswith("0 of 34 languages")
    assert result.next_steps == [MIGRATE, SEED]


def test_an_edited_migration_says_to_restore_it(empty_db: str, project: Project, tmp_path: Path) -> None:
    copy = copy_project(project, tmp_path)
    migrate(empty_db, copy)
    edited = copy.migrations_dir / "0002_enum_types.sql"
    edited.write_text(edited.read_text() + "\n-- edited\n")

    checks = {c.name: c for c in diagnose(empty_db, copy).checks}

    assert checks["migrations"].ok is False and "EDITED since applied: 0002_enum_types" in checks["migrations"].summary
    assert "restore the edited migration files" in str(checks["migrations"].fix)


def test_a_revoked_grant_on_the_rpc_is_found(db: TestDatabase) -> None:
    with psycopg.connect(db.url, autocommit=True) as conn:
        signature = conn.execute(
            "select p.oid::regprocedure::text from pg_proc as p where p.proname = 'job_interview_create_from_array' "
            "and p.pronamespace = 'public'::regnamespace and p.pronargs > 1").fetchone()[0]
        conn.execute(f"revoke execute on function {signature} from authenticated")

    code, payload = doctor(db.url)

    assert code == 1 and by_name(payload)["rpc"]["ok"] is False


def test_an_unreachable_database_is_one_failed_check(project: Project) -> None:
    code, payload = doctor("postgresql://postgres@127.0.0.1:1/nowhere")

    assert code == 1 and [c["name"] for c in payload["checks"]] == ["package", "reachable"]
    assert payload["checks"][1]["summary"].startswith("cannot connect to 127.0.0.1:1/nowhere")
