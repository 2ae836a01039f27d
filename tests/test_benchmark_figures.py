"""The README's performance figures are what a bench run measured: the block is
generated from the checked-in JSON (interview-db bench --json ... --readme README.md),
and the JSON names the commit and the checksum of the SQL it measured. The figures are
re-measured once at the end of a change to the SQL, not on every commit, so a test
holds the README to the JSON, not the JSON to today's SQL."""

from __future__ import annotations

import json
import re

from interview_db.bench import readme_block, sql_checksum
from interview_db.project import Project

RESULTS = "benchmarks/results-pg15.json"


def test_the_checked_in_figures_name_what_they_measured(project: Project) -> None:
    figures = json.loads((project.root / RESULTS).read_text(encoding="utf-8"))
    assert re.fullmatch(r"[0-9a-f]{64}", figures["sql_checksum"])
    assert re.fullmatch(r"[0-9a-f]{7,40}(\+changes)?", figures["commit"])
    assert {"fsync", "synchronous_commit", "full_page_writes"} <= set(figures["settings"])


def test_the_readme_quotes_the_checked_in_figures(project: Project) -> None:
    figures = json.loads((project.root / RESULTS).read_text(encoding="utf-8"))
    readme = (project.root / "README.md").read_text(encoding="utf-8")
    block = readme_block(figures, "results-pg15.json")
    assert block in readme
    assert f"commit {figures['commit']}, SQL checksum {figures['sql_checksum'][:12]}" in block


def test_the_checksum_changes_with_any_sql_file(project: Project, tmp_path: object) -> None:
    from .helpers import copy_project

    copy = copy_project(project, tmp_path)  # type: ignore[arg-type]
    assert sql_checksum(copy) == sql_checksum(project)
    function = copy.function_files()[0]
    function.write_text(function.read_text() + "\n-- changed\n")
    assert sql_checksum(copy) != sql_checksum(project)
