"""The interview-db command line: the demo, JSON output, clear errors."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from click.testing import CliRunner

from interview_db.cli import main

from .helpers import TestDatabase, wait_for


def test_demo_exits_0_and_shows_a_created_interview_and_a_clear_422() -> None:
    result = subprocess.run([sys.executable, "-m", "interview_db", "demo"], capture_output=True, text=True, timeout=600)

    assert result.returncode == 0, result.stderr
    assert "HTTP 200" in result.stdout and "HTTP 422" in result.stdout
    assert '"questions_created": 7' in result.stdout
    assert "questions[2].duration must be more than 0 and at most 14400 seconds (got 18000)" in result.stdout
    assert "welcome" in result.stdout and "thank_you" in result.stdout
    assert "local PostgreSQL stopped and removed" in result.stderr + result.stdout


def test_demo_shows_one_line_per_phase_the_tenant_sql_the_claims_and_what_next() -> None:
    result = subprocess.run([sys.executable, "-m", "interview_db", "demo"], capture_output=True, text=True, timeout=600)

    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "applying function file" not in output and "applying migration" not in output
    assert "migrated: " in output and "applying function file" not in output  # --verbose names the files
    assert "insert into public.merchants (id, name, coaching_enabled) values (" in result.stdout
    assert "insert into public.profiles (id, merchant_id, role, full_name) values (" in result.stdout
    assert '"role": "authenticated"' in result.stdout and '"sub": "d0000000-' in result.stdout
    order = [result.stdout.index(marker) for marker in
             ("insert into public.merchants", "JWT claims", "HTTP 200", "Steps of the new interview", "HTTP 422",
              "next: ")]
    assert order == sorted(order)
    next_line = result.stdout.strip().splitlines()[-1]
    assert next_line.startswith("next: ") and '"Deploy"' in next_line
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert "\n## Deploy\n" in readme and "\n## First merchant and user\n" in readme


def test_demo_names_every_applied_file_only_with_verbose(empty_db: str) -> None:
    verbose = CliRunner().invoke(main, ["demo", "--database-url", empty_db, "--verbose"])
    assert verbose.exit_code == 0, verbose.output
    assert "applying migration 0001_private_schema" in verbose.output
    assert re.search(r"applying function file \S*public.job_interview_create_from_array.sql", verbose.output)


def test_migrate_and_status_as_json(empty_db: str) -> None:
    runner = CliRunner()
    migrated = runner.invoke(main, ["migrate", "--database-url", empty_db, "--json"])
    assert migrated.exit_code == 0, migrated.output
    payload = json.loads(migrated.stdout)
    assert payload["shim_applied"] is True and len(payload["migrations_applied"]) >= 9

    state = runner.invoke(main, ["status", "--json"], env={"DATABASE_URL": empty_db})
    assert state.exit_code == 0
    assert json.loads(state.stdout)["pending_migrations"] == []

    again = runner.invoke(main, ["migrate", "--database-url", empty_db])
    assert again.exit_code == 0 and "Nothing to do" in again.output

    seeded = runner.invoke(main, ["seed", "--database-url", empty_db])
    assert seeded.exit_code == 0 and "platform_languages: 34 row(s) written" in seeded.output
    assert "already up to date" in runner.invoke(main, ["seed", "--database-url", empty_db]).output


def test_errors_are_one_clear_line_and_exit_1() -> None:
    result = CliRunner().invoke(main, ["migrate", "--database-url", "postgresql://postgres@127.0.0.1:1/none"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: cannot connect to 127.0.0.1:1/none")
    assert "Traceback" not in result.output


def test_missing_database_url_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["status"], env={"DATABASE_URL": ""})
    assert result.exit_code == 2 and "--database-url" in result.output


def test_every_command_has_help_with_an_example() -> None:
    for command in main.commands:
        result = CliRunner().invoke(main, [command, "--help"])
        assert result.exit_code == 0 and "Example:" in result.output, command


def test_the_main_help_documents_the_exit_codes_and_every_command() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "Exit codes:" in result.output
    for line in ("0  success", "1  failure", "2  wrong usage"):
        assert line in result.output
    for command in ("migrate", "seed", "status", "rollback", "lint", "demo", "doctor", "export-supabase", "openapi",
                    "quick-check", "generate"):
        assert command in main.commands and command in result.output


def _run_on_a_terminal(args: list[str], env: dict[str, str]) -> str:
    """The CLI with a pseudo-terminal as stdout and stderr, as a person runs it."""
    leader, follower = pty.openpty()
    try:
        subprocess.run([sys.executable, "-m", "interview_db", *args], stdout=follower, stderr=follower,
                       stdin=subprocess.DEVNULL, env=env, timeout=120, check=False)
    finally:
        os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the terminal is closed and drained
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return b"".join(chunks).decode()


def test_colour_only_on_a_terminal_and_never_with_no_color(empty_db: str) -> None:
    args = ["doctor", "--database-url", empty_db]
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}

    piped = subprocess.run([sys.executable, "-m", "interview_db", *args], capture_output=True, text=True, env=env,
                           timeout=120, check=False)
    assert piped.returncode == 1 and "FAIL" in piped.stdout
    assert "\x1b[" not in piped.stdout + piped.stderr

    on_a_terminal = _run_on_a_terminal(args, env)
    assert "FAIL" in on_a_terminal and "\x1b[31m" in on_a_terminal  # red

    no_color = _run_on_a_terminal(args, {**env, "NO_COLOR": "1"})
    assert "FAIL" in no_color and "\x1b[" not in no_color


def test_long_work_shows_progress_and_json_keeps_stdout_clean(empty_db: str, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "interview_db", "migrate", "--database-url", empty_db, "--json"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0
    assert "upgrading in one transaction: " in done.stderr and "applying migration" not in done.stderr
    assert len(done.stderr.splitlines()) < 10  # one line per phase; --verbose names every file
    assert json.loads(done.stdout)["migrations_applied"][0] == "0001_private_schema"

    exported = subprocess.run([sys.executable, "-m", "interview_db", "export-supabase", str(tmp_path)],
                              capture_output=True, text=True, timeout=300, check=False)
    assert exported.returncode == 0 and "writing 20250101010000_interview_0001_private_schema.sql" in exported.stdout


def test_demo_json_carries_the_tenant_sql_the_claims_and_both_responses(db: TestDatabase) -> None:
    result = CliRunner().invoke(main, ["demo", "--json"], env={"DATABASE_URL": db.url})
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert [s.split(" (")[0] for s in payload["sql"]] == [
        "insert into auth.users", "insert into public.merchants", "insert into public.profiles"]
    assert payload["claims"] == {"sub": payload["user_id"], "role": "authenticated", "aud": "authenticated",
                                 "email": "owner@demo-merchant.example"}
    assert payload["created"]["status"] == 200 and payload["rejected"]["status"] == 422
    assert len(payload["steps"]) == 9


def test_a_migrations_select_output_stays_out_of_the_json(empty_db: str, tmp_path: Path) -> None:
    from interview_db.project import find_project

    from .helpers import copy_project

    copy = copy_project(find_project(), tmp_path)
    (copy.migrations_dir / "0099_says_something.sql").write_text("select 'a row yoyo would print' as note;\n")
    done = subprocess.run([sys.executable, "-m", "interview_db", "migrate", "--database-url", empty_db, "--json"],
                          capture_output=True, text=True, timeout=300, check=False,
                          env=dict(os.environ, INTERVIEW_DB_PROJECT=str(copy.root)))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["migrations_applied"][-1] == "0099_says_something"
    assert "a row yoyo would print" in done.stderr


def test_rollback_count_0_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["rollback", "--count", "0", "--database-url", "postgresql://postgres@127.0.0.1:1/x"])
    assert result.exit_code == 2 and "--count" in result.stderr


def test_migrate_as_a_role_that_may_only_read_is_one_line(empty_db: str) -> None:
    import psycopg

    name = f"reader_{urlsplit(empty_db).path.lstrip('/')}"
    with psycopg.connect(empty_db, autocommit=True) as conn:
        conn.execute(f"create role {name} login in role pg_read_all_data")
    try:
        url = empty_db.replace("postgres@", f"{name}@", 1)
        result = CliRunner().invoke(main, ["migrate", "--database-url", url])
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
        assert len(result.stderr.strip().splitlines()) == 1
        assert result.stderr.startswith("Error: migrate failed on ") and "[42501]" in result.stderr  # insufficient privilege
    finally:
        with psycopg.connect(empty_db, autocommit=True) as conn:
            conn.execute(f"drop role {name}")


# -- conventions: exit codes, Ctrl-C, --json everywhere, no traceback on any input -----

CLOSED_URL = "postgresql://postgres@127.0.0.1:1/nowhere"  # nothing listens on port 1
UUID = "00000000-0000-4000-8000-000000000001"


def leaf_commands() -> dict[str, Any]:
    """Every command of the CLI by its words (``merchant add``), sub-groups walked."""
    import click

    found: dict[str, Any] = {}

    def walk(group: click.Group, prefix: list[str]) -> None:
        for name, command in group.commands.items():
            if isinstance(command, click.Group):
                walk(command, [*prefix, name])
            else:
                found[" ".join([*prefix, name])] = command
    walk(main, [])
    return found


def test_every_command_has_json() -> None:
    commands = leaf_commands()
    assert {"merchant list", "member list", "seed", "rollback", "lint"} <= set(commands)
    for name, command in commands.items():
        assert any("--json" in p.opts for p in command.params), name


# Each command's arguments besides --database-url, with a path that cannot be written where it writes one.
ARGUMENTS = {
    "migrate": [], "seed": [], "status": [], "rollback": [], "doctor": [], "relay": ["--once"], "prune": [],
    "merchant add": ["Acme"], "merchant list": [], "member list": [],
    "member add": ["--merchant", UUID, "--email", "a@b.example", "--role", "merchant"],
    "openapi": ["--output", "/proc/nope/openapi.json"], "quick-check": ["--check"], "demo": [],
    "bench": ["--quick", "--json", "/proc/nope/bench.json"],
    "generate": ["--check"],
}
OFFLINE = {  # commands that need no database: an unwritable or missing path instead
    "export-supabase": ["/proc/nope"],
    "typescript": ["--output", "/proc/nope/types.ts"],
    "lint": ["/proc/nope.sql"],
}


def test_every_failure_with_json_is_a_json_error_object_on_stdout() -> None:
    # bench's --json names the file for its figures; doctor's --json is its diagnosis, failed or not
    for name in [n for n in leaf_commands() if n not in ("bench", "doctor")]:
        args = [*name.split(), *(OFFLINE.get(name) or [*ARGUMENTS[name], "--database-url", CLOSED_URL]), "--json"]
        if name == "lint":
            continue  # a missing path is a usage error (2), below
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1, (name, result.output)
        payload = json.loads(result.stdout)
        assert payload["error"] == result.stderr.strip().removeprefix("Error: "), name
        assert payload == {"error": payload["error"], "applied": []}, name  # nothing reached: nothing committed
        assert "Traceback" not in result.output


def test_no_command_prints_a_traceback_on_bad_arguments_unreachable_hosts_or_unwritable_paths() -> None:
    bad_arguments = {
        "bench": ["--sizes", "abc"], "rollback": ["--count", "many"], "relay": ["--batch-size", "0"],
        "prune": ["--older-than-days", "-1"],
        "merchant add": ["Acme", "--parent", "not-a-uuid"], "member add": ["--merchant", "x", "--role", "nope"],
        "member list": ["--merchant", "not-a-uuid"], "export-supabase": ["/proc/nope", "--base-timestamp", "soon"],
        "openapi": ["--bogus"], "lint": ["/proc/nope.sql"], "typescript": ["--openapi", "/proc/nope.json"],
    }
    commands = leaf_commands()
    for name in commands:
        words = name.split()
        runs = [[*words, *bad_arguments.get(name, ["--no-such-option"]), "--database-url", CLOSED_URL]]
        runs.append([*words, *OFFLINE[name]] if name in OFFLINE else [*words, *ARGUMENTS[name], "--database-url",
                                                                          CLOSED_URL])
        for args in runs:
            if name in OFFLINE and "--database-url" in args:
                args = args[:args.index("--database-url")]
            done = subprocess.run([sys.executable, "-m", "interview_db", *args], capture_output=True, text=True,
                                  timeout=120, check=False, env={**os.environ, "DATABASE_URL": ""})
            assert "Traceback" not in done.stdout + done.stderr, (args, done.stderr)
            assert done.returncode in (1, 2), (args, done.returncode, done.stderr)
            last = done.stderr.strip().splitlines()[-1]
            assert last.startswith("Error: ") or (name == "doctor" and last == "1 problem(s)."), (args, done.stderr)


def test_usage_errors_exit_2() -> None:
    for args in (["nope"], ["migrate", "--bogus"], ["bench", "--sizes", "abc"], ["bench", "--clients", "0"],
                 ["rollback", "--count", "x", "--database-url", CLOSED_URL], ["status"]):
        result = CliRunner().invoke(main, args, env={"DATABASE_URL": ""})
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output


def test_ctrl_c_exits_130_with_one_line_and_applies_nothing(empty_db: str) -> None:
    """migrate waits for another deployer's lock; Ctrl-C there ends it with one line and exit 130."""
    import signal

    import psycopg

    from interview_db.migrations import MIGRATE_LOCK_KEY

    with psycopg.connect(empty_db, autocommit=True) as holder:
        holder.execute("select pg_advisory_lock(%s)", (MIGRATE_LOCK_KEY,))
        process = subprocess.Popen([sys.executable, "-m", "interview_db", "migrate", "--database-url", empty_db],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert process.stdout is not None
        for line in process.stdout:  # migrate's progress: it is about to wait for the lock
            if "waiting for another interview-db process" in line:
                break
        wait_for(lambda: holder.execute(  # and its statement is waiting on the server (where Ctrl-C cancels it)
            "select count(*) from pg_stat_activity where wait_event_type = 'Lock' and query like %s",
            ("%pg_advisory_lock%",)).fetchone()[0] == 1 or None, "migrate waits for the advisory lock")
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=120)
        assert process.returncode == 130, stderr
        assert "Aborted!" not in stderr and "Traceback" not in stderr
        assert stderr.strip().splitlines() == [
            "Error: interrupted; stopped before finishing (what was not committed was rolled back)"]
        tables = holder.execute("select count(*) from pg_tables where schemaname not in "
                                "('pg_catalog', 'information_schema')").fetchone()
        assert tables is not None and tables[0] == 0  # the shim and the migrations never began


def test_merchant_list_and_member_list_print_the_ids(db: TestDatabase) -> None:
    runner = CliRunner()
    added = json.loads(runner.invoke(main, ["merchant", "add", "Acme", "--database-url", db.url, "--json"]).stdout)
    child = json.loads(runner.invoke(main, ["merchant", "add", "Acme Berlin", "--parent", added["merchant_id"],
                                            "--database-url", db.url, "--json"]).stdout)
    user = db.user(child["merchant_id"], "merchant_owner")

    merchants = runner.invoke(main, ["merchant", "list", "--database-url", db.url])
    assert merchants.exit_code == 0
    assert f"{added['merchant_id']}  'Acme': 0 member(s)" in merchants.output
    assert f"{child['merchant_id']}  'Acme Berlin': 1 member(s), sub-merchant of {added['merchant_id']}" \
        in merchants.output
    listed = json.loads(runner.invoke(main, ["merchant", "list", "--database-url", db.url, "--json"]).stdout)
    members_of = {m["merchant_id"]: m["members"] for m in listed}
    assert (members_of[added["merchant_id"]], members_of[child["merchant_id"]]) == (0, 1)

    members = runner.invoke(main, ["member", "list", "--merchant", child["merchant_id"], "--database-url", db.url,
                                   "--json"])
    assert members.exit_code == 0
    assert [(m["user_id"], m["role"], m["merchant_name"]) for m in json.loads(members.stdout)] == [
        (user.id, "merchant_owner", "Acme Berlin")]
    text = runner.invoke(main, ["member", "list", "--database-url", db.url])
    assert f"{user.id}  {user.id}@example.test: merchant_owner of 'Acme Berlin' ({child['merchant_id']})" in text.output
    unknown = runner.invoke(main, ["member", "list", "--merchant", UUID, "--database-url", db.url])
    assert unknown.exit_code == 1 and "no merchant with id" in unknown.stderr


def test_seed_and_rollback_take_json(empty_db: str) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["migrate", "--database-url", empty_db]).exit_code == 0
    seeded = runner.invoke(main, ["seed", "--database-url", empty_db, "--json"])
    assert seeded.exit_code == 0 and json.loads(seeded.stdout)["written"]["platform_languages"] == 34
    rolled = runner.invoke(main, ["rollback", "--database-url", empty_db, "--json"])
    assert rolled.exit_code in (0, 1)
    assert json.loads(rolled.stdout)  # a result or an error object, JSON either way
