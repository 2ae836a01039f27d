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
from interview_db.migrations import migrate, status
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
        "package", "reachable", "server", "platform", "deployment", "migrations", "functions", "catalog", "rpc",
        "exposure", "api", "seed", "webhooks",
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


# -- drift: the live catalog against the fingerprint recorded at deploy ---------

RPC_SQL = ("select p.oid::regprocedure::text from pg_proc as p where p.proname = 'job_interview_create_from_array' "
           "and p.pronamespace = 'public'::regnamespace and p.pronargs > 1")


def rpc_signature(url: str) -> str:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("set search_path = pg_catalog")  # the signature schema-qualified, as drift names it
        return str(conn.execute(RPC_SQL).fetchone()[0])


def catalog(url: str) -> dict[str, Any]:
    code, payload = doctor(url)
    return {"code": code, **by_name(payload)["catalog"]}


def test_a_replaced_body_and_a_grant_to_anon_are_named_and_migrate_repairs_them(db: TestDatabase, project: Project) -> None:
    signature = rpc_signature(db.url)
    with psycopg.connect(db.url, autocommit=True) as conn:
        conn.execute("create or replace function interview_private.normalize_tone(p_tone text) returns public.interview_tone "
                     "language sql immutable set search_path = pg_catalog, pg_temp as $$ select 'simple'::public.interview_tone $$")
        conn.execute(f"grant execute on function {signature} to anon")

    found = catalog(db.url)
    assert found["code"] == 1 and found["ok"] is False and found["fix"] == MIGRATE
    assert "interview_private.normalize_tone(text): definition (body or settings) replaced" in found["summary"]
    assert f"{signature}: EXECUTE granted to anon (not at deploy)" in found["summary"]
    state = status(db.url, project)
    assert len(state.drift) == 2 and "interview_private.normalize_tone.sql" in state.drifted_functions

    repaired = migrate(db.url, project)

    assert "interview_private.normalize_tone.sql" in repaired.functions_applied and len(repaired.repaired) == 2
    assert not db.admin.execute(f"select has_function_privilege('anon', '{signature}', 'execute') as x").fetchone()["x"]
    assert db.admin.execute("select interview_private.normalize_tone('nonsense')::text as t").fetchone()["t"] == "relaxed"
    assert doctor(db.url)[0] == 0 and not migrate(db.url, project).changed


def test_a_function_owned_by_another_role_than_the_deployer_is_reported_and_repaired(
    db: TestDatabase, project: Project
) -> None:
    signature = rpc_signature(db.url)
    role = f"lowpriv_{db.name}"
    db.admin.execute(f"create role {role} nologin")
    try:
        db.admin.execute(f"alter function {signature} owner to {role}")
        deployer = db.admin.execute("select current_user as u").fetchone()["u"]

        found = catalog(db.url)
        assert found["ok"] is False and f"{signature}: owner is {role}, deployed as {deployer}" in found["summary"]

        migrate(db.url, project)
        owner = db.admin.execute(f"select pg_get_userbyid(proowner) as o from pg_proc where oid = '{signature}'::regprocedure")
        assert owner.fetchone()["o"] == deployer
        assert catalog(db.url)["ok"] is True
    finally:
        db.admin.execute(f"drop owned by {role}")
        db.admin.execute(f"drop role {role}")


def test_a_security_definer_flag_turned_off_is_reported_and_repaired(db: TestDatabase, project: Project) -> None:
    signature = rpc_signature(db.url)
    db.admin.execute(f"alter function {signature} security invoker")

    found = catalog(db.url)
    assert found["ok"] is False and f"{signature}: definition (body or settings) replaced since it was deployed; " \
        "SECURITY DEFINER is off, deployed on" in found["summary"]

    migrate(db.url, project)
    assert db.admin.execute(f"select prosecdef from pg_proc where oid = '{signature}'::regprocedure").fetchone()["prosecdef"]
    assert doctor(db.url)[0] == 0


def test_a_dropped_and_a_loosened_rls_policy_are_reported_and_migrate_restores_them(
    db: TestDatabase, project: Project
) -> None:
    before = db.admin.execute("select polname, pg_get_expr(polqual, polrelid) as q from pg_policy "
                              "where polrelid = 'public.merchants'::regclass order by 1").fetchall()
    db.admin.execute("drop policy profiles_select_own on public.profiles")
    db.admin.execute("alter policy merchants_select_members on public.merchants using (true)")
    db.admin.execute("alter table public.knowledge_base_stores disable row level security")

    found = catalog(db.url)
    assert found["ok"] is False
    for difference in ("public.profiles: policy profiles_select_own dropped",
                       "public.merchants: policy merchants_select_members changed",
                       "public.knowledge_base_stores: row level security disabled since deploy"):
        assert difference in found["summary"]

    migrate(db.url, project)

    assert db.admin.execute("select polname, pg_get_expr(polqual, polrelid) as q from pg_policy "
                            "where polrelid = 'public.merchants'::regclass order by 1").fetchall() == before
    assert db.admin.execute("select count(*) as n from pg_policy where polname = 'profiles_select_own'").fetchone()["n"] == 1
    assert db.admin.execute("select relrowsecurity from pg_class where oid = 'public.knowledge_base_stores'::regclass"
                            ).fetchone()["relrowsecurity"]
    assert doctor(db.url)[0] == 0


def test_the_advice_after_a_revoked_grant_works_instead_of_looping(db: TestDatabase, project: Project) -> None:
    signature = rpc_signature(db.url)
    db.admin.execute(f"revoke execute on function {signature} from authenticated")
    code, payload = doctor(db.url)
    assert code == 1 and payload["next_steps"] == [MIGRATE]

    assert migrate(db.url, project).repaired == [f"{signature}: EXECUTE revoked from authenticated"]
    assert doctor(db.url)[0] == 0


def test_applied_migrations_this_checkout_lacks_are_reported(empty_db: str, project: Project, tmp_path: Path) -> None:
    newer = copy_project(project, tmp_path)
    (newer.migrations_dir / "0099_newer.sql").write_text("create table interview_private.newer (id int primary key);\n")
    migrate(empty_db, newer)

    checks = {c.name: c for c in diagnose(empty_db, project).checks}

    assert checks["migrations"].ok is False
    assert "applied here but not in this checkout: 0099_newer" in checks["migrations"].summary
    assert "newer release, schema 0099_newer" in checks["migrations"].summary


def test_a_deployment_without_a_recorded_fingerprint_is_told_to_migrate(db: TestDatabase, project: Project) -> None:
    db.admin.execute("drop table interview_deploy.catalog_fingerprints")
    found = catalog(db.url)
    assert found["ok"] is False and "no fingerprint" in found["summary"] and found["fix"] == MIGRATE

    assert migrate(db.url, project).fingerprint_recorded
    assert doctor(db.url)[0] == 0


def test_doctor_and_status_as_a_role_that_cannot_read_the_deployment_answer_in_one_line(db: TestDatabase) -> None:
    role = f"login_only_{db.name}"
    db.admin.execute(f"create role {role} login")
    try:
        url = db.server.url(db.name, user=role)
        code, payload = doctor(url)
        assert code == 1
        assert by_name(payload)["deployment"]["summary"].startswith("reading the deployment state failed")
        assert "permission denied" in by_name(payload)["deployment"]["summary"]

        state = CliRunner().invoke(main, ["status", "--database-url", url])
        assert state.exit_code == 1 and state.exception is not None and isinstance(state.exception, SystemExit)
        assert len(state.stderr.strip().splitlines()) == 1 and "permission denied" in state.stderr
    finally:
        db.admin.execute(f"drop role {role}")


def test_a_role_that_row_level_security_limits_is_not_told_the_seed_is_missing(db: TestDatabase) -> None:
    role = f"reader_{db.name}"
    db.admin.execute(f"create role {role} login in role pg_read_all_data")
    try:
        code, payload = doctor(db.server.url(db.name, user=role))
        seed_check = by_name(payload)["seed"]
        assert seed_check["ok"] is None and "row level security hides" in seed_check["summary"]
        assert SEED not in payload["next_steps"]
    finally:
        db.admin.execute(f"drop role {role}")


def test_a_function_deployed_with_an_owner_that_is_not_the_deployer_is_reported(db: TestDatabase, project: Project) -> None:
    """CREATE OR REPLACE (the export's path) keeps the owner of a function someone else created first:
    even when that state was recorded at deploy, doctor names it."""
    from interview_db import drift
    from interview_db.functions import read_function_files, set_search_path

    role = f"squatter_{db.name}"
    db.admin.execute(f"create role {role} nologin")
    try:
        db.admin.execute(f"alter function interview_private.normalize_tone(text) owner to {role}")
        with psycopg.connect(db.url) as conn, conn.transaction():
            set_search_path(conn)
            drift.record(conn, drift.scope_of(project, read_function_files(project)))

        found = catalog(db.url)
        deployer = db.admin.execute("select current_user as u").fetchone()["u"]
        assert found["ok"] is False
        assert f"interview_private.normalize_tone(text): owner is {role}, not the deployer {deployer}" in found["summary"]
        migrate(db.url, project)
        assert catalog(db.url)["ok"] is True
    finally:
        db.admin.execute(f"drop owned by {role}")
        db.admin.execute(f"drop role {role}")


# -- the API itself: every public RPC called as PostgREST would, rolled back ------


def _record_fingerprint(db: TestDatabase, project: Project) -> None:
    """Record the catalog as it is now, as a rollback (or a push) does: the fingerprint then sees no drift."""
    from interview_db import drift
    from interview_db.functions import read_function_files, set_search_path

    with psycopg.connect(db.url) as conn, conn.transaction():
        set_search_path(conn)
        drift.record(conn, drift.scope_of(project, read_function_files(project)))


def api(url: str) -> dict[str, Any]:
    code, payload = doctor(url)
    return {"code": code, "healthy": payload["healthy"], **by_name(payload)["api"]}


def test_doctor_calls_every_public_rpc_and_leaves_nothing_behind(db: TestDatabase, project: Project) -> None:
    from interview_db import api_check
    from interview_db.functions import package_function_names, read_function_files

    counts = "select (select count(*) from public.merchants) + (select count(*) from public.interview_def_set) " \
             "+ (select count(*) from interview_private.merchant_invitations) " \
             "+ (select count(*) from public.webhook_endpoints) + (select count(*) from auth.users) as n"
    before = db.admin.execute(counts).fetchone()["n"]

    found = api(db.url)

    assert found["ok"] is True and found["code"] == 0
    assert found["summary"].startswith("18 calls of 13 RPCs (rolled back) answered as a working deployment does")
    public = [n for n in package_function_names(read_function_files(project)) if n.startswith("public.")]
    assert len(public) == 13 and api_check.unprobed(public) == []
    assert db.admin.execute(counts).fetchone()["n"] == before  # every call was rolled back


def test_each_probe_checks_the_status_and_the_field_it_names(db: TestDatabase) -> None:
    from interview_db import api_check

    with psycopg.connect(db.url, autocommit=True) as conn:
        results = {r.probe.label: r for r in api_check.call_every_rpc(conn)}
    create = results["job_interview_create_from_array (a valid embedded interview, as owner)"]
    assert [(r.status, r.details) for r in results.values() if r.probe is not create.probe and
            r.probe.function == "job_interview_create_from_array"] == [(422, "questions[0].duration"), (422, "name")]
    assert create.status == 200
    assert results["verify_embed_token (a malformed token, as service role)"].details == "malformed"
    # a probe answered with another field than the one it must name is a failure
    wrong = api_check.ProbeResult(create.probe, 422, "PT422", "name", "name is required")
    assert not wrong.ok and "expected HTTP 200" in wrong.describe()


def test_a_function_that_calls_a_dropped_table_fails_the_api_check_naming_it(db: TestDatabase, project: Project) -> None:
    """What a partial rollback leaves: the table is gone, the functions that use it stay, and the
    fingerprint recorded afterwards sees nothing wrong (doctor said Healthy)."""
    db.admin.execute("drop table interview_private.merchant_invitations")
    _record_fingerprint(db, project)

    found = api(db.url)

    assert found["code"] == 1 and found["healthy"] is False and found["ok"] is False
    assert "merchant_invitation_create (a valid invitation, as owner): HTTP 404 42P01" in found["summary"]
    assert "merchant_invitation_accept (a token never issued, as owner): HTTP 400 42704" in found["summary"]
    assert "job_interview_create_from_array" not in found["summary"]


def test_a_dropped_helper_that_an_rpc_calls_fails_the_api_check(db: TestDatabase, project: Project) -> None:
    """A deleted function file whose function other functions still call: the caller answers 42883."""
    signature = db.admin.execute("select oid::regprocedure::text as s from pg_proc "
                                 "where proname = 'role_rank'").fetchone()["s"]
    db.admin.execute(f"drop function {signature}")
    _record_fingerprint(db, project)

    found = api(db.url)

    assert found["ok"] is False and found["healthy"] is False
    assert "merchant_invitation_create (a valid invitation, as owner): HTTP 404 42883" in found["summary"]
    assert "role_rank" in found["summary"]


def test_a_dropped_helper_of_the_create_call_fails_the_api_check_on_a_valid_call(db: TestDatabase, project: Project) -> None:
    db.admin.execute("drop function interview_private.scoring_config cascade")
    _record_fingerprint(db, project)

    found = api(db.url)

    assert found["ok"] is False
    assert "job_interview_create_from_array (a valid embedded interview, as owner): HTTP 404 42883" in found["summary"]
    assert "a question of 5 hours" not in found["summary"]  # the validation still works: only the write fails


def test_a_role_that_may_not_act_as_the_api_roles_is_not_judged(db: TestDatabase) -> None:
    role = f"plain_{db.name}"
    db.admin.execute(f"create role {role} login in role pg_read_all_data")
    try:
        found = api(db.server.url(db.name, user=role))
        assert found["ok"] is None and "may not act as the API roles" in found["summary"]
    finally:
        db.admin.execute(f"drop role {role}")


# -- exposure: schema privileges and what is not the package's --------------------


def exposure_check(url: str) -> dict[str, Any]:
    code, payload = doctor(url)
    return {"code": code, "healthy": payload["healthy"], "next_steps": payload["next_steps"],
            **by_name(payload)["exposure"]}


def test_usage_on_the_private_schema_granted_to_authenticated_is_reported_and_migrate_revokes_it(
    db: TestDatabase, project: Project
) -> None:
    db.admin.execute("grant usage on schema interview_private to authenticated")

    found = exposure_check(db.url)
    assert found["code"] == 1 and found["healthy"] is False and found["ok"] is False
    assert "schema interview_private: USAGE granted to authenticated (no migration grants it)" in found["summary"]
    assert any(step.startswith(MIGRATE) for step in found["next_steps"])

    repaired = migrate(db.url, project)

    assert "schema interview_private: USAGE granted to authenticated (no migration grants it)" in repaired.repaired
    assert not db.admin.execute("select has_schema_privilege('authenticated', 'interview_private', 'usage') as u"
                                ).fetchone()["u"]
    assert doctor(db.url)[0] == 0 and not migrate(db.url, project).changed


def test_a_revoked_schema_grant_the_package_makes_is_put_back(db: TestDatabase, project: Project) -> None:
    db.admin.execute("revoke usage on schema interview_access from authenticated")

    found = exposure_check(db.url)
    assert found["ok"] is False
    assert "schema interview_access: USAGE revoked from authenticated (a migration grants it)" in found["summary"]

    migrate(db.url, project)
    assert db.admin.execute("select has_schema_privilege('authenticated', 'interview_access', 'usage') as u"
                            ).fetchone()["u"]
    assert doctor(db.url)[0] == 0


def test_a_hand_made_security_definer_function_leaking_embed_keys_to_anon_is_reported_and_left_alone(
    db: TestDatabase, project: Project
) -> None:
    db.admin.execute("create function public.leak_embed_keys() returns setof interview_private.embed_keys "
                     "language sql security definer as $$ select * from interview_private.embed_keys $$")
    db.admin.execute("grant execute on function public.leak_embed_keys() to anon")

    found = exposure_check(db.url)
    assert found["code"] == 1 and found["healthy"] is False and found["ok"] is False
    assert "public.leak_embed_keys() is SECURITY DEFINER (runs as postgres), executable by anon" in found["summary"]
    assert "not the package's" in found["summary"] and "review the objects named" in found["fix"]

    result = CliRunner().invoke(main, ["migrate", "--database-url", db.url])
    assert result.exit_code == 0
    assert "left alone (not the package's; review it): public.leak_embed_keys()" in result.output
    assert db.admin.execute("select to_regprocedure('public.leak_embed_keys()') is not null as e").fetchone()["e"]
    assert exposure_check(db.url)["ok"] is False  # still reported: migrate never drops what it did not make


def test_a_table_of_someone_else_in_the_private_schema_granted_to_an_api_role_is_reported(db: TestDatabase) -> None:
    db.admin.execute("create table interview_private.notes (id int primary key)")
    db.admin.execute("grant select on interview_private.notes to service_role")

    found = exposure_check(db.url)

    assert found["ok"] is False
    assert "table interview_private.notes in a schema of the package is not the package's, and grants SELECT to " \
           "service_role" in found["summary"]
