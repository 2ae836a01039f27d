"""The interview-db command line: the demo, JSON output, clear errors."""

from __future__ import annotations

import json
import subprocess
import sys

from click.testing import CliRunner

from deploy.cli import main


def test_demo_exits_0_and_shows_a_created_interview_and_a_clear_422() -> None:
    result = subprocess.run([sys.executable, "-m", "deploy.cli", "demo"], capture_output=True, text=True, timeout=600)

    assert result.returncode == 0, result.stderr
    assert "HTTP 200" in result.stdout and "HTTP 422" in result.stdout
    assert '"questions_created": 7' in result.stdout
    assert "questions[2].duration must be between 10 and 3600" in result.stdout
    assert "welcome" in result.stdout and "thank_you" in result.stdout
    assert "local PostgreSQL stopped and removed" in result.stderr + result.stdout


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
