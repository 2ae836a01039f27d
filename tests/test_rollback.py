"""rollback cannot destroy data by accident: a plan with row counts, --yes, --allow-data-loss, one transaction."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from interview_db.cli import main
from interview_db.db import DeployError
from interview_db.migrations import migrate, rollback

from .helpers import TestDatabase, copy_project, minimal_body, scalar


def _applied(url: str) -> int:
    return int(scalar(url, "select count(*) from interview_deploy._yoyo_migration"))


def test_rollback_count_99_on_a_database_with_data_destroys_nothing_without_both_flags(db: TestDatabase) -> None:
    owner = db.owner()
    assert db.rpc(minimal_body(idempotency_key="kept", is_embedded=True), owner).status == 200
    before = (_applied(db.url), db.counts())

    shown = CliRunner().invoke(main, ["rollback", "--count", "99", "--database-url", db.url])
    assert shown.exit_code == 1 and "--yes" in shown.output
    assert "drops table interview_private.idempotency_keys: 1 row(s)" in shown.output
    assert (_applied(db.url), db.counts()) == before

    refused = CliRunner().invoke(main, ["rollback", "--count", "99", "--yes", "--database-url", db.url])
    assert refused.exit_code == 1 and "--allow-data-loss" in refused.output
    assert "interview_private.idempotency_keys (1 rows)" in refused.output
    assert (_applied(db.url), db.counts()) == before


def test_a_rollback_that_fails_part_way_undoes_every_step(db: TestDatabase) -> None:
    before = _applied(db.url)
    # a hand-made view on a table an early rollback drops: the last step of --count 99 fails
    db.admin.execute("create view public.zz_hold as select * from public.merchants")
    with pytest.raises(DeployError, match="failed and was undone"):
        rollback(db.url, _project(), count=99, yes=True, allow_data_loss=True)
    assert _applied(db.url) == before
    assert scalar(db.url, "select to_regclass('interview_private.idempotency_keys') is not null")


def _after(migration: str) -> int:
    """How many migrations are numbered after ``migration``: the --count that leaves it the newest."""
    return len([p for p in _project().migration_files() if p.stem > migration])


def test_a_schema_no_release_had_is_refused_unless_told_to_keep_the_functions(db: TestDatabase) -> None:
    # 0040 was merged before 0030 and 0031: no release had 0001-0031 without 0040
    count = str(_after("0031_webhook_deliveries"))
    before = _applied(db.url)
    refused = CliRunner().invoke(main, ["rollback", "--count", count, "--yes", "--allow-data-loss",
                                        "--database-url", db.url])
    assert refused.exit_code == 1 and "no release had that schema" in refused.output
    assert _applied(db.url) == before
    done = CliRunner().invoke(main, ["rollback", "--count", count, "--yes", "--allow-data-loss", "--keep-functions",
                                     "--database-url", db.url])
    assert done.exit_code == 0, done.output
    assert f"Rolled back {count} migration(s) (" in done.output and "to schema 0031_webhook_deliveries" in done.output


def _project():  # type: ignore[no-untyped-def]
    from interview_db.project import find_project
    return find_project()


def test_a_rollback_leaves_functions_that_match_the_schema(db: TestDatabase, tmp_path: Path) -> None:
    owner = db.owner()
    project = _project()
    # {0001..0012} is the schema of a release (before 0040, 0030 and 0013-0018 were merged)
    count = _after("0012_member_access")
    done = rollback(db.url, project, count=count, yes=True, allow_data_loss=True)
    assert done.rolled_back[0] == project.schema_version and done.target == "0012_member_access"
    assert done.functions_applied and "public.merchant_invitation_create" in " ".join(done.functions_dropped)
    assert scalar(db.url, "select count(*) from pg_proc where proname like 'merchant_invitation%'") == 0
    assert db.rpc(minimal_body(idempotency_key="after-rollback"), owner).status == 200
    assert len(migrate(db.url, project).migrations_applied) == count  # and forward again
    assert scalar(db.url, "select count(*) from pg_proc where proname like 'merchant_invitation%'") > 0


def test_a_rollback_without_the_target_release_at_hand_is_refused_with_the_reason(
    db: TestDatabase, tmp_path: Path
) -> None:
    copy = copy_project(_project(), tmp_path / "no-git")
    before = _applied(db.url)
    with pytest.raises(DeployError, match="cannot be read from git history .* --functions-from"):
        rollback(db.url, copy, count=1, yes=True)
    assert _applied(db.url) == before
    second_newest = copy.migration_files()[-2].stem
    with pytest.raises(DeployError, match=f"is not the release of schema {second_newest}"):
        rollback(db.url, copy, count=1, yes=True, functions_from=copy.root)
    assert _applied(db.url) == before


def test_the_tables_of_a_schema_dropped_with_cascade_are_counted_too(empty_db: str, tmp_path: Path) -> None:
    copy = copy_project(_project(), tmp_path / "cascade")
    (copy.migrations_dir / "0099_zz_schema.sql").write_text(
        "create schema zz;\ncreate table zz.notes (id int primary key);\ninsert into zz.notes values (1), (2);\n")
    (copy.migrations_dir / "0099_zz_schema.rollback.sql").write_text("drop schema zz cascade;\n")
    migrate(empty_db, copy)
    with pytest.raises(DeployError, match=r"zz.notes \(2 rows\); export them first, or add --allow-data-loss"):
        rollback(empty_db, copy, count=1, yes=True, keep_functions=True)
    assert scalar(empty_db, "select count(*) from zz.notes") == 2


def test_the_release_of_a_schema_is_found_on_its_own_line_when_branches_merged_out_of_number_order(
    tmp_path: Path,
) -> None:
    """0090 is merged before 0080 lands: the release of schema 0080 is the 0080 branch's last
    commit (its later function edit included), never a commit of the other line."""
    import subprocess

    from interview_db.project import Project
    from interview_db.releases import release_with

    repo = tmp_path / "repo"

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                       check=True, capture_output=True)

    def write(name: str, text: str) -> None:
        path = repo / "sql" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    repo.mkdir()
    git("init", "-q", "-b", "main")
    write("migrations/0075_base.sql", "select 1;\n")
    write("functions/public.f.sql", "-- base\n")
    git("add", "-A"); git("commit", "-qm", "base")
    git("checkout", "-qb", "gate")
    write("migrations/0080_gate.sql", "select 2;\n")
    git("add", "-A"); git("commit", "-qm", "0080")
    write("functions/public.f.sql", "-- the gate's release\n")
    git("add", "-A"); git("commit", "-qm", "a function edit after 0080")
    git("checkout", "-q", "main")
    git("checkout", "-qb", "closure")
    write("migrations/0090_closure.sql", "select 3;\n")
    write("functions/public.f.sql", "-- the closure's release\n")
    git("add", "-A"); git("commit", "-qm", "0090")
    git("checkout", "-q", "main")
    git("merge", "-q", "--no-ff", "closure", "-m", "merge 0090")
    git("merge", "-q", "--no-ff", "gate", "-m", "merge 0080", "-X", "ours")

    found = release_with(Project(root=repo), ["0075_base", "0080_gate"], tmp_path / "out")
    assert (found.root / "sql" / "functions" / "public.f.sql").read_text(encoding="utf-8") == "-- the gate's release\n"
    with pytest.raises(DeployError, match="no commit of .* has exactly the migrations"):
        release_with(Project(root=repo), ["0090_closure"], tmp_path / "none")
