"""The README's performance figures are what a bench run measured, on today's SQL:
the block is generated from the checked-in JSON (interview-db bench --json ...
--readme README.md), and the JSON records the checksum of the SQL it measured."""

from __future__ import annotations

import json

from interview_db.bench import readme_block, sql_checksum
from interview_db.project import Project

RESULTS = "benchmarks/results-pg15.json"


def test_the_checked_in_figures_were_measured_on_todays_sql(project: Project) -> None:
    figures = json.loads((project.root / RESULTS).read_text(encoding="utf-8"))
    assert figures["sql_checksum"] == sql_checksum(project), (
        f"{RESULTS} was measured on other SQL: run `interview-db bench --json {RESULTS} --readme README.md`")
    assert {"fsync", "synchronous_commit", "full_page_writes"} <= set(figures["settings"])


def test_the_readme_quotes_the_checked_in_figures(project: Project) -> None:
    figures = json.loads((project.root / RESULTS).read_text(encoding="utf-8"))
    readme = (project.root / "README.md").read_text(encoding="utf-8")
    assert readme_block(figures, "results-pg15.json") in readme


def test_the_checksum_changes_with_any_sql_file(project: Project, tmp_path: object) -> None:
    from .helpers import copy_project

    copy = copy_project(project, tmp_path)  # type: ignore[arg-type]
    assert sql_checksum(copy) == sql_checksum(project)
    function = copy.function_files()[0]
    function.write_text(function.read_text() + "\n-- changed\n")
    assert sql_checksum(copy) != sql_checksum(project)
