"""interview-db lint: the project passes; each fixture breaks one rule."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from interview_db.cli import main
from interview_db.lint import lint_files
from interview_db.project import Project

FIXTURES = Path(__file__).parent / "fixtures" / "lint"


def test_the_project_passes(project: Project) -> None:
    assert lint_files(project.sql_files(), project.exposed_schemas(), root=project.root) == []
    result = CliRunner().invoke(main, ["lint"])
    assert result.exit_code == 0 and "no problems" in result.output


@pytest.mark.parametrize(("fixture", "line", "subject", "rule"), [
    ("definer_without_search_path.sql", 1, "function public.leaky()",
     "is SECURITY DEFINER and sets no search_path, not `set search_path = pg_catalog, pg_temp` (pg_temp last)"),
    ("definer_with_public_search_path.sql", 1, "function public.half_fixed()",
     "is SECURITY DEFINER and sets search_path = public, not"),
    ("definer_with_empty_search_path.sql", 2, "function public.empty_path(p jsonb)",
     "is SECURITY DEFINER and sets search_path = '', not `set search_path = pg_catalog, pg_temp`"),
    ("function_with_pg_temp_first.sql", 2, "function interview_private.temp_first(p jsonb)",
     "is a function that sets search_path = pg_temp, pg_catalog, not"),
    ("function_without_search_path.sql", 1, "function interview_private.no_path(p int4)",
     "is a function that sets no search_path"),
    ("no_volatility.sql", 2, "function interview_private.vague(p int4)", "does not state its volatility"),
    ("table_without_rls.sql", 1, "table public.open_table", "never enables row level security"),
    ("does_not_parse.sql", 1, "file", "does not parse"),
    ("plpgsql_body_does_not_parse.sql", 1, "function interview_private.broken()", "PL/pgSQL body does not parse"),
])
def test_each_violation_is_reported_with_file_and_function(fixture: str, line: int, subject: str, rule: str) -> None:
    violations = lint_files([FIXTURES / fixture], ["public"], root=FIXTURES)
    assert len(violations) == 1, violations
    v = violations[0]
    assert (v.file, v.line, v.subject) == (fixture, line, subject)
    assert rule in v.rule

    result = CliRunner().invoke(main, ["lint", str(FIXTURES / fixture)])
    assert result.exit_code == 1
    assert fixture in result.output and subject in result.output


def test_rls_enabled_in_another_file_counts(tmp_path: Path) -> None:
    (tmp_path / "a.sql").write_text("create table public.t (id int);\n")
    (tmp_path / "b.sql").write_text("alter table public.t enable row level security;\n")
    assert lint_files([tmp_path / "a.sql", tmp_path / "b.sql"], ["public"]) == []
    assert len(lint_files([tmp_path / "a.sql"], ["public"])) == 1


def test_every_schema_the_package_names_types_in_is_spelled_as_a_builtin_for_the_plpgsql_parser(
    project: Project,
) -> None:
    """pglast 8 (libpg_query of PostgreSQL 17) takes a type it cannot resolve for a record, and refuses
    a PL/pgSQL function returning an array of one (`public.profile_role[]`) or a record in a
    multiple-item INTO: every schema whose types the package's functions name must be substituted."""
    from interview_db.exposure import package_schemas
    from interview_db.lint import _for_plpgsql_parser

    for schema in [*package_schemas(project.migration_files()), "public", "auth", "extensions"]:
        assert _for_plpgsql_parser(f"declare v {schema}.some_type[];") == "declare v pg_catalog.text[];", schema


def test_the_functions_that_pglast_8_refused_parse(project: Project) -> None:
    import pglast

    from interview_db.lint import _for_plpgsql_parser

    for name in ("interview_access.acting_roles.sql", "interview_private.may_invite.sql",
                 "interview_private.webhook_manager_merchant.sql"):
        text = (project.functions_dir / name).read_text()
        statement = text[text.index("create or replace function"):text.index("$$;") + 3]
        pglast.parse_plpgsql(_for_plpgsql_parser(statement))


def test_a_variable_of_a_composite_type_whose_fields_are_assigned_parses_as_a_record(project: Project) -> None:
    """The parse assigns the request's attributes by name (v_request.name := ...): the
    parser cannot look the type up, so such a variable parses as a record; a scalar's
    field is still refused."""
    import pglast

    from interview_db.lint import _for_plpgsql_parser

    for name in ("interview_private.parse_request.sql", "interview_private.parse_request_texts.sql"):
        text = (project.functions_dir / name).read_text()
        statement = text[text.index("create or replace function"):text.index("$$;") + 3]
        pglast.parse_plpgsql(_for_plpgsql_parser(statement))
    scalar = ("create function f() returns int language plpgsql as $$ declare v pg_catalog.text; "
              "begin v.name := 'x'; return 1; end $$;")
    with pytest.raises(pglast.parser.ParseError, match="not a known variable"):
        pglast.parse_plpgsql(_for_plpgsql_parser(scalar))
