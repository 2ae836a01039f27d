"""The Supabase CLI path: `interview-db export-supabase`, then the real
`supabase db push` (from npm) into a database that has only what Supabase
itself provides (the local shim stands in for it), then `supabase db lint`, and
the RPC test modules again on the pushed database."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from interview_db.cli import main
from interview_db.localdb import LocalPostgres
from interview_db.migrations import apply_shim
from interview_db.project import Project
from interview_db.seeds import seed, seed_script
from interview_db.supabase_export import FUNCTIONS_NAME, pushed_state

from .conftest import DEPLOY_ENV, TEMPLATE_URL_ENV, _janitor, deploy_mode, unique_dbname
from .helpers import DeployedCluster, copy_project
from .supabase_cli import SUPABASE_CLI_VERSION, CliUnavailable, SupabaseProject, cli_url, install, make_project, run


pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(deploy_mode() == "supabase-cli", reason="this module deploys the template of that mode itself"),
]

ROOT = Path(__file__).resolve().parents[1]
RPC_TEST_MODULES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").glob("test_rpc_*.py"))
XMINS = """
select (select array_agg(xmin::text order by code) from public.platform_languages),
       (select array_agg(xmin::text order by language_code, locale) from public.platform_language_accents),
       (select array_agg(xmin::text order by id) from public.interview_templates)
"""


@dataclass(frozen=True)
class Pushed:
    url: str
    dbname: str
    workdir: SupabaseProject
    output: str


@pytest.fixture(scope="module")
def supabase() -> Path:
    try:
        return install(SUPABASE_CLI_VERSION)
    except CliUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"the Supabase CLI cannot be installed: {exc}")
        pytest.skip(f"the Supabase CLI cannot be installed: {exc}")


def supabase_like_database(server: LocalPostgres | DeployedCluster, project: Project, name: str) -> str:
    """A new database with only the shim: Supabase's roles, auth and pgcrypto."""
    url = server.url(name)
    with psycopg.connect(url, autocommit=True) as conn:
        apply_shim(conn, project)
    return url


def push(supabase: Path, target: SupabaseProject, url: str, *extra: str) -> str:
    done = run(supabase, "db", "push", "--db-url", cli_url(url), *extra, cwd=target.root)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    return output


@pytest.fixture(scope="module")
def pushed(
    supabase: Path, pg_server: LocalPostgres, project: Project, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pushed]:
    name = unique_dbname("pushed")
    janitor = _janitor(pg_server, name)
    janitor.init()
    try:
        url = supabase_like_database(pg_server, project, name)
        workdir = make_project(tmp_path_factory.mktemp("supabase-project"), project)
        output = push(supabase, workdir, url, "--include-seed")
        with psycopg.connect(pg_server.url(), autocommit=True) as conn:
            conn.execute(psycopg.sql.SQL("alter database {} is_template true").format(psycopg.sql.Identifier(name)))
        yield Pushed(url, name, workdir, output)
    finally:
        with psycopg.connect(pg_server.url(), autocommit=True) as conn:
            conn.execute(psycopg.sql.SQL("alter database {} is_template false").format(psycopg.sql.Identifier(name)))
        janitor.drop()


def test_push_applies_every_exported_migration_then_the_seed(pushed: Pushed, project: Project) -> None:
    exported = sorted(p.name for p in pushed.workdir.migrations.glob("*.sql"))
    assert len(exported) == len(project.migration_files()) + 1
    for name in exported:
        assert f"Applying migration {name}..." in pushed.output
    assert "Skipping" not in pushed.output and "Seeding data from supabase/seed.sql" in pushed.output

    with psycopg.connect(pushed.url) as conn:
        history = [f"{v}_{n}.sql" for v, n in conn.execute(
            "select version, name from supabase_migrations.schema_migrations order by version")]
        assert history == exported
        assert conn.execute("select count(*) from public.platform_languages").fetchone()[0] == 34
        assert conn.execute("select count(*) from public.interview_templates").fetchone()[0] >= 3
        # no interview-db migrate bookkeeping on this path (only the catalog's fingerprint, recorded by
        # the pushed files), and the shim came from the stand-in step alone
        assert conn.execute("select to_regclass('interview_deploy._yoyo_migration')").fetchone()[0] is None
        assert conn.execute("select count(*) from interview_deploy.catalog_fingerprints").fetchone()[0] > 0
        state = pushed_state(conn, project)
    assert state.pending == [] and state.edited == [] and not state.functions_drifted
    assert state.functions_version == exported[-1][:14] and exported[-1].endswith(f"_{FUNCTIONS_NAME}.sql")


def test_doctor_finds_the_pushed_database_healthy(pushed: Pushed) -> None:
    result = CliRunner().invoke(main, ["doctor", "--database-url", pushed.url, "--json"])
    payload = json.loads(result.stdout)
    assert result.exit_code == 0 and payload["healthy"], payload
    checks = {c["name"]: c["summary"] for c in payload["checks"]}
    assert checks["deployment"] == "deployed with supabase db push"
    assert checks["migrations"].startswith("all ") and checks["seed"].startswith("34 of 34 languages")


def test_migrate_refuses_a_pushed_database_and_doctor_finds_an_edited_history(
    pushed: Pushed, pg_server: LocalPostgres, project: Project
) -> None:
    name = unique_dbname("pushed_edited")
    with _janitor(pg_server, name, template=pushed.dbname):
        url = pg_server.url(name)
        refused = CliRunner().invoke(main, ["migrate", "--database-url", url])
        assert refused.exit_code == 1 and "deployed here with `supabase db push`" in refused.output
        with psycopg.connect(url, autocommit=True) as conn:
            assert conn.execute("select to_regclass('interview_deploy._yoyo_migration')").fetchone()[0] is None  # nothing done
            conn.execute("update supabase_migrations.schema_migrations set statements = statements || 'select 1'::text "
                         "where name = 'interview_0003_merchants_and_profiles'")
            assert pushed_state(conn, project).edited == ["0003_merchants_and_profiles"]

        result = CliRunner().invoke(main, ["doctor", "--database-url", url])
        assert result.exit_code == 1 and "EDITED since applied: 0003_merchants_and_profiles" in result.output


def test_status_and_rollback_on_a_pushed_database(pushed: Pushed, pg_server: LocalPostgres, project: Project) -> None:
    name = unique_dbname("pushed_status")
    with _janitor(pg_server, name, template=pushed.dbname):
        url = pg_server.url(name)
        state = CliRunner().invoke(main, ["status", "--database-url", url, "--json"])
        payload = json.loads(state.stdout)
        assert state.exit_code == 0 and payload["deployed_with"] == "supabase db push"
        assert payload["pending_migrations"] == [] and payload["drift"] == [] and payload["fingerprint"] is True
        assert all(m["pushed_version"] for m in payload["migrations"])
        # the function files' state, from the pushed revision and the catalog
        assert [f["path"] for f in payload["functions"]] == sorted(p.name for p in project.function_files())
        assert {f["state"] for f in payload["functions"]} == {"applied"}
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("create or replace function interview_private.normalize_tone(p_tone text) returns "
                         "public.interview_tone language sql immutable set search_path = pg_catalog, pg_temp "
                         "as $$ select 'simple'::public.interview_tone $$")
        text = CliRunner().invoke(main, ["status", "--database-url", url])
        assert text.exit_code == 0 and "Function files:" in text.output
        assert re.search(r"interview_private\.normalize_tone\.sql\s+drifted", text.output)
        assert re.search(r"public\.verify_embed_token\.sql\s+applied", text.output)
        with psycopg.connect(url, autocommit=True) as conn:  # as pushed again, for what follows
            conn.execute((project.functions_dir / "interview_private.normalize_tone.sql").read_text())

        refused = CliRunner().invoke(main, ["rollback", "--database-url", url])
        assert refused.exit_code == 1 and "deployed here with `supabase db push`" in refused.stderr
        assert "roll back with a new migration" in refused.stderr
        with psycopg.connect(url, autocommit=True) as conn:  # nothing left behind
            assert conn.execute("select to_regclass('interview_deploy._yoyo_migration')").fetchone()[0] is None
            assert conn.execute("select to_regclass('interview_deploy.migration_checksums')").fetchone()[0] is None
        assert CliRunner().invoke(main, ["doctor", "--database-url", url]).exit_code == 0


def test_doctor_finds_drift_on_a_pushed_database(pushed: Pushed, pg_server: LocalPostgres) -> None:
    name = unique_dbname("pushed_drift")
    with _janitor(pg_server, name, template=pushed.dbname):
        url = pg_server.url(name)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("grant execute on function public.job_interview_create_from_array(json) to anon")
        result = CliRunner().invoke(main, ["doctor", "--database-url", url, "--json"])
        payload = json.loads(result.stdout)
        checks = {c["name"]: c for c in payload["checks"]}
        assert result.exit_code == 1 and checks["catalog"]["ok"] is False
        assert "public.job_interview_create_from_array(json): EXECUTE granted to anon (not at deploy)" \
            in checks["catalog"]["summary"]
        assert "_interview_functions.sql" in checks["catalog"]["fix"]


def test_a_second_push_and_a_second_seed_change_nothing(
    supabase: Path, pushed: Pushed, pg_server: LocalPostgres, project: Project
) -> None:
    name = unique_dbname("pushed_twice")
    with _janitor(pg_server, name, template=pushed.dbname):
        url = pg_server.url(name)
        with psycopg.connect(url, autocommit=True) as conn:
            before = conn.execute(XMINS).fetchone()
        again = push(supabase, pushed.workdir, url, "--include-seed")
        assert "Remote database is up to date" in again

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(seed_script(project))
            assert conn.execute(XMINS).fetchone() == before  # no row rewritten
            # the same upserts as `interview-db seed`: it finds nothing to change either
            assert not seed(conn, project).changed


def test_the_cli_reads_config_toml_without_complaint(supabase: Path, pushed: Pushed) -> None:
    # `supabase status` loads the whole config (it warns of deprecated sections), then
    # looks for the local Docker stack, which this machine has not.
    status = run(supabase, "status", cwd=pushed.workdir.root, timeout=120)
    output = status.stdout + status.stderr
    assert "WARN:" not in output and "config" not in output.lower(), output
    # The CLI's Go half decodes config.toml strictly (unknown keys are errors) before
    # `db diff` looks for Docker.
    sidecar = supabase.resolve().parents[1] / "node_modules" / "@supabase" / "cli-linux-x64" / "bin" / "supabase-go"
    if sidecar.exists():
        strict = subprocess.run(
            [str(sidecar), "db", "diff", "--db-url", cli_url(pushed.url)], cwd=pushed.workdir.root,
            capture_output=True, text=True, timeout=120, check=False, stdin=subprocess.DEVNULL,
            env=dict(os.environ, SUPABASE_TELEMETRY_DISABLED="1", DO_NOT_TRACK="1"),
        )
        output = strict.stdout + strict.stderr
        assert "WARN:" not in output and "config" not in output.lower(), output


def test_db_lint_finds_nothing_at_fail_on_warning(supabase: Path, pushed: Pushed) -> None:
    with psycopg.connect(pushed.url) as conn:
        available = conn.execute("select exists (select from pg_available_extensions where name = 'plpgsql_check')").fetchone()[0]
    if not available:
        if os.environ.get("INTERVIEW_DB_PG_BIN"):
            pytest.skip("plpgsql_check is not built for the PostgreSQL of INTERVIEW_DB_PG_BIN (the embedded wheel); "
                        "`supabase db lint` runs on the machine's PostgreSQL 15")
        pytest.fail("plpgsql_check is missing: apt-get install postgresql-15-plpgsql-check (.ci/run does)")

    lint = run(supabase, "db", "lint", "--db-url", cli_url(pushed.url), "--level", "warning", "--fail-on", "warning",
               cwd=pushed.workdir.root)
    output = lint.stdout + lint.stderr
    assert lint.returncode == 0, output
    assert "Linting schema: interview_private" in output and "Linting schema: public" in output
    assert "No schema errors found" in output, output


def test_the_rpc_tests_pass_on_the_pushed_database(pushed: Pushed) -> None:
    env = dict(os.environ, **{DEPLOY_ENV: "supabase-cli", TEMPLATE_URL_ENV: pushed.url})
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *RPC_TEST_MODULES],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False,
    )
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-2000:]
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    counts = dict((word, int(number)) for number, word in re.findall(r"(\d+) (\w+)", summary))
    assert counts.get("passed", 0) > 0 and not {"failed", "skipped", "error", "errors"} & set(counts), summary


def test_a_changed_function_file_is_pushed_as_a_new_revision(
    supabase: Path, pg_server: LocalPostgres, project: Project, tmp_path: Path
) -> None:
    copy = copy_project(project, tmp_path / "checkout")
    extra = copy.functions_dir / "interview_private.sample.sql"
    extra.write_text("create or replace function interview_private.sample(p integer) returns integer "
                     "language sql immutable set search_path = '' as $$ select p $$;\n")
    name = unique_dbname("pushed_revisions")
    with _janitor(pg_server, name):
        url = supabase_like_database(pg_server, copy, name)
        workdir = make_project(tmp_path / "app", copy)
        push(supabase, workdir, url)

        tone = copy.functions_dir / "interview_private.normalize_tone.sql"
        tone.write_text(tone.read_text().replace("'relaxed'", "'relaxed' ", 1))
        extra.unlink()
        written = workdir.export(copy).written
        assert [w.endswith(f"_{FUNCTIONS_NAME}.sql") for w in written] == [True]
        output = push(supabase, workdir, url)
        assert f"Applying migration {written[0]}..." in output and output.count("Applying migration") == 1

        with psycopg.connect(url) as conn:
            assert conn.execute("select to_regprocedure('interview_private.sample(integer)')").fetchone()[0] is None
            source = conn.execute(
                "select prosrc from pg_proc where oid = 'interview_private.normalize_tone(text)'::regprocedure").fetchone()[0]
            assert "'relaxed' " in source
            state = pushed_state(conn, copy)
            original = pushed_state(conn, project)
        assert state.functions_version == written[0][:14] and not state.functions_drifted
        assert original.pending == [] and original.functions_drifted  # this checkout's functions are not those


def test_the_installed_cli_is_the_pinned_version(supabase: Path, tmp_path: Path) -> None:
    done = run(supabase, "--version", cwd=tmp_path)
    assert done.stdout.strip() == SUPABASE_CLI_VERSION, done.stdout + done.stderr
