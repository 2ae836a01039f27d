"""Onboarding by the operator: `interview-db merchant add` and `member add`, their
clear one-line errors, --json; the newcomer's path end to end on a Supabase-like
database; and the documentation's claims about the commands (every command that takes a
database reads --database-url or $DATABASE_URL: docs/reference.md; config.toml is merged, not
copied, and the app keeps its PostgreSQL major: README.md)."""

from __future__ import annotations

import json
import re
import tomllib
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import psycopg
import pytest
from click.testing import CliRunner, Result

from interview_db.cli import main
from interview_db.postgrest import call_rpc, user_claims
from interview_db.project import Project

from .helpers import RPC, TestDatabase, minimal_body
from .test_rls import read_as

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
REFERENCE = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
DOCS = {path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8")
        for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]}
UNREACHABLE = "postgresql://postgres@127.0.0.1:1/none"


@dataclass(frozen=True)
class ApiEndpoint:
    """What read_as needs of a database: the URL PostgREST's authenticator uses."""

    api_url: str


def cli(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


def signed_up(db: TestDatabase, email: str) -> str:
    """What Supabase Auth does at sign-up: an auth.users row."""
    user_id = str(uuid.uuid4())
    db.admin.execute("insert into auth.users (id, email) values (%s, %s)", (user_id, email))
    return user_id


def one_line_error(result: Result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


# -- merchant add ----------------------------------------------------------------------


def test_merchant_add_prints_the_new_merchant_and_the_next_command(db: TestDatabase) -> None:
    result = cli("merchant", "add", "Acme Recruiting", "--coaching", "--database-url", db.url)
    assert result.exit_code == 0, result.output
    merchant_id = re.search(r"Added merchant 'Acme Recruiting': ([0-9a-f-]{36}), coaching portal on", result.output)
    assert merchant_id is not None, result.output
    assert f"member add --merchant {merchant_id.group(1)}" in result.output
    row = db.admin.execute("select name, parent_merchant_id, coaching_enabled from public.merchants where id = %s",
                           (merchant_id.group(1),)).fetchone()
    assert row == {"name": "Acme Recruiting", "parent_merchant_id": None, "coaching_enabled": True}


def test_merchant_add_makes_a_sub_merchant_and_prints_json(db: TestDatabase) -> None:
    parent = db.merchant()
    result = cli("merchant", "add", "Acme Berlin", "--parent", parent, "--json", env={"DATABASE_URL": db.url})
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["name"] == "Acme Berlin" and payload["parent_merchant_id"] == parent
    assert payload["coaching_enabled"] is False
    row = db.admin.execute("select parent_merchant_id from public.merchants where id = %s",
                           (payload["merchant_id"],)).fetchone()
    assert row == {"parent_merchant_id": parent}


def test_merchant_add_refuses_an_unknown_or_malformed_parent_and_a_blank_name(db: TestDatabase) -> None:
    unknown = str(uuid.uuid4())
    assert one_line_error(cli("merchant", "add", "X", "--parent", unknown, "--database-url", db.url)) == \
        f"Error: no merchant with id {unknown} (--parent)"
    assert one_line_error(cli("merchant", "add", "X", "--parent", "acme", "--database-url", db.url)) == \
        "Error: --parent must be a uuid, got 'acme'"
    assert "1 to 200 characters" in one_line_error(cli("merchant", "add", "  ", "--database-url", db.url))
    assert db.admin.execute("select count(*) as n from public.merchants").fetchone() == {"n": 0}


def test_merchant_add_on_an_undeployed_database_says_to_migrate(empty_db: str) -> None:
    assert "run `interview-db migrate` first" in one_line_error(cli("merchant", "add", "X", "--database-url", empty_db))


# -- member add ------------------------------------------------------------------------


def test_member_add_gives_a_signed_up_user_a_profile(db: TestDatabase) -> None:
    merchant = db.merchant(name="Acme")
    user_id = signed_up(db, "Owner@Acme.example")
    result = cli("member", "add", "--merchant", merchant, "--email", "owner@acme.example", "--role", "merchant_owner",
                 "--database-url", db.url)
    assert result.exit_code == 0, result.output
    assert f"Added Owner@Acme.example ({user_id}) as merchant_owner of 'Acme' ({merchant})" in result.output
    profile = db.admin.execute("select merchant_id, role::text from public.profiles where id = %s", (user_id,))
    assert profile.fetchone() == {"merchant_id": merchant, "role": "merchant_owner"}


def test_member_add_prints_json(db: TestDatabase) -> None:
    merchant = db.merchant(name="Acme")
    user_id = signed_up(db, "staff@acme.example")
    result = cli("member", "add", "--merchant", merchant, "--email", "staff@acme.example", "--role", "merchant",
                 "--json", "--database-url", db.url)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"user_id": user_id, "email": "staff@acme.example", "merchant_id": merchant,
                                         "merchant_name": "Acme", "role": "merchant"}


@pytest.mark.parametrize("look_alike", ["ops3@\u0130nfra.example", "ops3@infra.exampl\u212a"])
def test_member_add_does_not_match_a_look_alike_address(db: TestDatabase, look_alike: str) -> None:
    """lower() under the database's collation folds the dotted capital I and the
    Kelvin sign to ASCII; the address is compared exactly after an ASCII-only lowercase."""
    merchant = db.merchant()
    signed_up(db, look_alike)
    error = one_line_error(cli("member", "add", "--merchant", merchant, "--email", "ops3@infra.example",
                               "--role", "merchant", "--database-url", db.url))
    assert error.startswith("Error: no user with email ops3@infra.example in auth.users")
    assert db.admin.execute("select count(*) as n from public.profiles").fetchone() == {"n": 0}


def test_member_add_refuses_an_unknown_email(db: TestDatabase) -> None:
    merchant = db.merchant()
    error = one_line_error(cli("member", "add", "--merchant", merchant, "--email", "ghost@acme.example",
                               "--role", "merchant", "--database-url", db.url))
    assert error == ("Error: no user with email ghost@acme.example in auth.users: the user signs up first "
                     "(Supabase Auth), then run this again")


def test_member_add_refuses_a_user_who_already_has_a_profile(db: TestDatabase) -> None:
    first, second = db.merchant(name="First"), db.merchant(name="Second")
    user_id = signed_up(db, "twice@acme.example")
    args = ["--email", "twice@acme.example", "--role", "merchant", "--database-url", db.url]
    assert cli("member", "add", "--merchant", first, *args).exit_code == 0
    error = one_line_error(cli("member", "add", "--merchant", second, *args))
    assert error == f"Error: twice@acme.example already has a profile (merchant of First {first}): " \
                    "a user belongs to one merchant"
    profile = db.admin.execute("select merchant_id from public.profiles where id = %s", (user_id,)).fetchone()
    assert profile == {"merchant_id": first}


def test_member_add_refuses_a_bad_role_and_an_unknown_merchant(db: TestDatabase) -> None:
    merchant = db.merchant()
    signed_up(db, "x@acme.example")
    error = one_line_error(cli("member", "add", "--merchant", merchant, "--email", "x@acme.example", "--role", "owner",
                               "--database-url", db.url))
    assert error == "Error: --role must be one of admin, merchant_owner, merchant, candidate; got 'owner'"
    unknown = str(uuid.uuid4())
    error = one_line_error(cli("member", "add", "--merchant", unknown, "--email", "x@acme.example", "--role",
                               "merchant", "--database-url", db.url))
    assert error.startswith(f"Error: no merchant with id {unknown} (--merchant)")
    assert db.admin.execute("select count(*) as n from public.profiles").fetchone() == {"n": 0}


# -- end to end, as a newcomer on a Supabase-like database ---------------------------------


def test_deploy_onboard_call_and_read_back_on_a_supabase_like_database(empty_db: str) -> None:
    """The README's path: deploy, a merchant and a member with the new commands,
    the RPC called as that member through PostgREST, the set read back under RLS."""
    assert cli("migrate", "--database-url", empty_db).exit_code == 0
    assert cli("seed", "--database-url", empty_db).exit_code == 0
    with psycopg.connect(empty_db, autocommit=True) as conn:
        # Supabase-like: the shim's default privileges give API roles everything
        # new in public, as Supabase does; the package's revokes must hold anyway.
        default_acl = conn.execute("select count(*) from pg_default_acl as d join pg_namespace as n "
                                   "on n.oid = d.defaclnamespace where n.nspname = 'public'").fetchone()
        assert default_acl is not None and default_acl[0] == 3
        user_id = str(uuid.uuid4())
        conn.execute("insert into auth.users (id, email) values (%s, 'first@acme.example')", (user_id,))

    added = cli("merchant", "add", "Acme", "--json", env={"DATABASE_URL": empty_db})
    assert added.exit_code == 0, added.output
    merchant_id = json.loads(added.stdout)["merchant_id"]
    member = cli("member", "add", "--merchant", merchant_id, "--email", "first@acme.example",
                 "--role", "merchant_owner", env={"DATABASE_URL": empty_db})
    assert member.exit_code == 0, member.output

    claims = user_claims(user_id, "first@acme.example")
    api_url = empty_db.replace("postgresql://postgres@", "postgresql://authenticator@")
    with psycopg.connect(api_url, autocommit=True) as api:
        created = call_rpc(api, RPC, minimal_body(questions=["Why us?", "Why now?"]), claims)
        assert created.status == 200, created.body
        assert created.body["questions_created"] == 2
        # API roles still cannot write merchants or profiles themselves
        with api.transaction():
            api.execute("set local role authenticated")
            denied = api.execute("select has_table_privilege('public.profiles', 'insert')").fetchone()
        assert denied == (False,)

    reader: Any = ApiEndpoint(api_url)
    sets = read_as(reader, claims, "select id::text, merchant_id::text, created_by::text from public.interview_def_set")
    assert sets == [(created.body["interview_def_set_id"], merchant_id, user_id)]
    steps = read_as(reader, claims, "select kind::text from public.interview_def_step order by position")
    assert [s[0] for s in steps] == ["welcome", "question", "question", "thank_you"]
    stranger = user_claims(str(uuid.uuid4()))
    assert read_as(reader, stranger, "select 1 from public.interview_def_set") == []


# -- every command that takes a database reads --database-url or $DATABASE_URL -------------


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> dict[str, click.Command]:
    found: dict[str, click.Command] = {}
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found.update(_commands(command, (*prefix, name)))
        else:
            found[" ".join((*prefix, name))] = command
    return found


DATABASE_COMMANDS = {"migrate", "seed", "status", "rollback", "doctor", "demo", "openapi", "quick-check", "bench",
                     "relay", "prune", "merchant add", "member add", "merchant list", "member list"}

DATABASE_COMMANDS |= {"generate"}  # every generated file from the rules of a deployed database


def test_every_command_that_takes_a_database_reads_database_url_or_the_environment() -> None:
    commands = _commands(main)
    takes_database = set()
    for name, command in commands.items():
        for param in command.params:
            if param.name == "database_url":
                assert isinstance(param, click.Option)
                assert param.opts == ["--database-url"] and param.envvar == "DATABASE_URL", name
                takes_database.add(name)
            else:
                assert "database" not in (param.name or "") and not getattr(param, "envvar", None), (name, param.name)
    assert takes_database == DATABASE_COMMANDS
    assert set(commands) - DATABASE_COMMANDS == {"lint", "export-supabase", "typescript"}


def test_demo_bench_openapi_and_quick_check_use_the_database_in_database_url() -> None:
    """Given only $DATABASE_URL, they go to that database (here: unreachable, a
    quick clear error) instead of starting a local PostgreSQL."""
    for command in (["demo"], ["bench", "--quick"], ["openapi"], ["quick-check"], ["generate"]):
        result = cli(*command, env={"DATABASE_URL": UNREACHABLE})
        assert result.exit_code == 1, (command, result.output)
        assert "Error: cannot connect to 127.0.0.1:1/none" in result.output, (command, result.output)
        assert "starting a disposable local PostgreSQL" not in result.output


def _commands_table() -> dict[str, str]:
    section = REFERENCE.split("\n## Commands\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        match = re.match(r"\| `interview-db ([a-z-]+(?: add| list)?)[^`]*` \|", line)
        if match:
            rows[match.group(1)] = line
    return rows


def test_the_reference_commands_table_lists_every_command_and_its_database_url() -> None:
    rows = _commands_table()
    assert set(rows) == set(_commands(main))
    for name in DATABASE_COMMANDS:
        assert "--database-url" in rows[name], rows[name]
    for path, text in DOCS.items():
        assert "INTERVIEW_DB_DEMO_URL" not in text and "INTERVIEW_DB_BENCH_URL" not in text, path


# -- config.toml is merged into the app's, never copied over it ---------------------------


def test_the_readme_merges_the_settings_the_package_needs_instead_of_copying_config_toml(project: Project) -> None:
    assert not re.search(r"cp [^\n]*config\.toml", README)
    blocks = re.findall(r"```toml\n(.*?)```", README, flags=re.DOTALL)
    assert len(blocks) == 1, "one config.toml snippet to merge"
    snippet = tomllib.loads(blocks[0])
    ours = tomllib.loads(project.supabase_config.read_text(encoding="utf-8"))
    # exactly the settings the package depends on, with our values
    assert snippet == {
        "api": {"schemas": ours["api"]["schemas"], "extra_search_path": ours["api"]["extra_search_path"]},
    }
    # and none of what belongs to the app: its project name, its services, its PostgreSQL major
    # (the package runs on 15 and newer: an app on 17 must not be told to go back to 15)
    for key in ("project_id", "studio", "storage", "realtime", "edge_runtime", "analytics", "auth", "db"):
        assert key not in snippet
    assert "major_version = " not in README
    assert "Keep your `[db] major_version` as it is" in README
