"""An upgrade from the previous release under load: zero failed calls.

The previous release (commit b1922e6, before exact JSON types) is taken from
the repository's history with ``git archive`` and deployed with its own
migrations, function files and seeds. Several threads then call the RPC as
PostgREST does (creates, idempotent replays of keys recorded on the old
release, RLS reads of the owners' sets) while ``interview-db migrate`` of
today's tree runs in another process: killed with SIGKILL at several points,
failing on a function file with a PL/pgSQL syntax error, and finally
completing. Not one call may fail, and every old replay answers what it
answered before.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import tarfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest

from interview_db.gate import gate_lines, unwrapped
from interview_db.localdb import LocalPostgres
from interview_db.migrations import migrate
from interview_db.postgrest import call_rpc
from interview_db.project import Project
from interview_db.seeds import seed

from .helpers import RPC, DeployedCluster, TestDatabase, User, copy_project, minimal_body

PREVIOUS_RELEASE = "b1922e6"
pytestmark = pytest.mark.slow


def previous_release(project: Project, target: Path) -> Project:
    """The previous release's sql/ and supabase/ trees, from git history."""
    archive = subprocess.run(
        ["git", "-C", str(project.root), "archive", "--format=tar", PREVIOUS_RELEASE, "sql", "supabase"],
        check=True, capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return Project(root=target)


@dataclass
class Tenant:
    owner: User
    sets: set[str] = field(default_factory=set)  # interview sets created for its merchant
    replays: list[tuple[dict[str, Any], Any]] = field(default_factory=list)  # body, recorded response


@pytest.fixture
def old_release(pg_server: LocalPostgres | DeployedCluster, empty_db: str, project: Project,
                tmp_path: Path) -> Iterator[tuple[TestDatabase, list[Tenant]]]:
    old = previous_release(project, tmp_path / "previous")
    migrate(empty_db, old)
    with psycopg.connect(empty_db, autocommit=True) as conn:
        seed(conn, old)
    database = TestDatabase(pg_server, empty_db.rsplit("/", 1)[1])
    tenants = []
    for _ in range(3):
        tenant = Tenant(database.owner())
        for n, body in enumerate((minimal_body(), minimal_body(is_embedded=True),
                                  minimal_body(idempotency_key=f"old-{uuid.uuid4()}"),
                                  minimal_body(idempotency_key=f"old-{uuid.uuid4()}", is_embedded=True,
                                               questions=["First?", "Second?"]))):
            response = database.rpc(body, tenant.owner)
            assert response.status == 200, (n, response.body)
            tenant.sets.add(response.body["interview_def_set_id"])
            if "idempotency_key" in body:
                tenant.replays.append((body, response.body))
        tenants.append(tenant)
    try:
        yield database, tenants
    finally:
        database.close()


class Load:
    """Threads calling the API as PostgREST would, counting every failed call."""

    def __init__(self, db: TestDatabase, tenants: list[Tenant], threads: int = 4) -> None:
        self.db, self.tenants = db, tenants
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.calls = 0
        self.failures: list[str] = []
        self.failed_at: list[tuple[float, float]] = []  # (start, end) of each failed call
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(threads)]

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=120)

    def _fail(self, what: str) -> None:
        with self.lock:
            self.failures.append(what)

    def _run(self, index: int) -> None:
        with psycopg.connect(self.db.api_url, autocommit=True) as api:
            n = 0
            while not self.stop.is_set():
                tenant = self.tenants[(index + n) % len(self.tenants)]
                started, failed = time.monotonic(), len(self.failures)
                try:
                    self._one(api, tenant, n % 4)
                except Exception as exc:  # a failed call, whatever it raised
                    self._fail(f"{type(exc).__name__}: {exc}")
                if len(self.failures) > failed:
                    with self.lock:
                        self.failed_at.append((started, time.monotonic()))
                with self.lock:
                    self.calls += 1
                n += 1
                time.sleep(0.01)

    def _one(self, api: psycopg.Connection, tenant: Tenant, kind: int) -> None:
        if kind in (0, 1):  # a create, with and without a key
            body = minimal_body(is_embedded=kind == 1) if kind == 0 else minimal_body(idempotency_key=str(uuid.uuid4()))
            response = call_rpc(api, RPC, body, tenant.owner.claims)
            if response.status != 200:
                self._fail(f"create: {response.status} {response.body}")
            else:
                with self.lock:
                    tenant.sets.add(response.body["interview_def_set_id"])
        elif kind == 2:  # an idempotent replay of a key recorded on the old release
            body, recorded = tenant.replays[(self.calls // 4) % len(tenant.replays)]
            response = call_rpc(api, RPC, dict(body), tenant.owner.claims)
            if response.status != 200 or response.body != recorded:
                self._fail(f"replay: {response.status} {response.body} (recorded {recorded})")
        else:  # an owner reads its sets through RLS
            with self.lock:
                known = set(tenant.sets)
            api.execute("begin isolation level read committed read only")
            try:
                api.execute("select set_config('role', 'authenticated', true), set_config('request.jwt.claims', %s, true)",
                            (json.dumps(tenant.owner.claims),))
                seen = {str(r[0]) for r in api.execute("select id from public.interview_def_set").fetchall()}
            finally:
                api.execute("rollback")
            if not known <= seen:
                self._fail(f"RLS read: {len(known - seen)} of the owner's {len(known)} sets not seen")


def _migrate_process(root: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "interview_db", "migrate", *args],
        env={**os.environ, "INTERVIEW_DB_PROJECT": str(root), "NO_COLOR": "1"},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def _kill_at(root: Path, url: str, marker: str) -> str:
    """Run migrate --verbose and SIGKILL it as soon as it prints a line starting with ``marker``."""
    process = _migrate_process(root, "--verbose", "--database-url", url)
    assert process.stdout is not None
    seen = []
    for line in process.stdout:
        seen.append(line)
        if line.strip().startswith(marker):
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=120)
    assert process.returncode == -signal.SIGKILL, f"migrate ended before {marker!r}:\n{''.join(seen)}"
    return "".join(seen)


def _deployed_state(db: TestDatabase) -> tuple[Any, ...]:
    """What says which release is deployed: the migrations and the function files recorded, the catalog's functions.

    A public function of the previous release may have been gated (gate.gate_deployed:
    the same function, its body nested after a gate); it counts as its old body."""
    return (
        [r["migration_id"] for r in db.admin.execute(
            "select migration_id from interview_deploy._yoyo_migration order by 1").fetchall()],
        [(r["path"], r["sha256"]) for r in db.admin.execute(
            "select path, sha256 from interview_deploy.function_files order by 1").fetchall()],
        [(r["f"], r["oid"], unwrapped(r["prosrc"])) for r in db.admin.execute(
            "select p.oid::regprocedure::text as f, p.oid, p.prosrc from pg_proc p join pg_namespace n "
            "on n.oid = p.pronamespace where n.nspname in ('public', 'interview_private') order by 1").fetchall()],
    )


def test_an_upgrade_under_load_fails_no_call_and_a_killed_or_broken_one_leaves_the_old_release(
    old_release: tuple[TestDatabase, list[Tenant]], project: Project, tmp_path: Path,
) -> None:
    db, tenants = old_release
    users_own = "begin\n  return 1;\nend"  # a public function not the package's: never gated
    db.admin.execute(f"create function public.zz_users_own() returns integer language plpgsql as $${users_own}$$")
    before = _deployed_state(db)
    broken = copy_project(project, tmp_path / "broken")
    (broken.functions_dir / "interview_private.zz_broken.sql").write_text(
        "create function interview_private.zz_broken() returns integer language plpgsql\n"
        "set search_path = pg_catalog, pg_temp as $$\nbegin\n  retrun 1;\nend\n$$;\n"
    )
    with Load(db, tenants) as load:
        time.sleep(0.5)
        for marker in ("gating public.", "upgrading in one transaction", "applying migration 0014", "applying migration 0040",
                       "applying function file"):
            _kill_at(project.root, db.url, marker)
            assert _deployed_state(db) == before, f"a migrate killed at {marker!r} changed the deployment"
        failed = _migrate_process(broken.root, "--database-url", db.url)
        output, _ = failed.communicate(timeout=300)
        assert failed.returncode == 1 and "zz_broken.sql line" in output, output
        assert "Traceback" not in output
        assert _deployed_state(db) == before, "a failed migrate changed the deployment"
        time.sleep(0.3)
        assert load.calls > 100
        assert load.failures == [], f"{len(load.failures)} of {load.calls} calls failed: {load.failures[:5]}"
        upgrade = _migrate_process(project.root, "--database-url", db.url)
        assert upgrade.stdout is not None
        committed = None
        lines = []
        for line in upgrade.stdout:
            lines.append(line)
            if "committed" in line and committed is None:
                committed = time.monotonic()
        assert upgrade.wait(timeout=300) == 0, "".join(lines)
        assert committed is not None, "".join(lines)
        time.sleep(0.5)
    print(f"{load.calls} calls; {len(load.failures)} failed: {load.failures}")
    assert load.failures == [], f"{len(load.failures)} of {load.calls} calls failed: {load.failures[:5]}"
    assert _deployed_state(db) != before
    assert db.admin.execute("select prosrc from pg_proc where proname = 'zz_users_own'").fetchone()["prosrc"] == users_own
    assert db.admin.execute("select max(migration_id) as m from interview_deploy._yoyo_migration").fetchone()["m"] == \
        project.schema_version
    for tenant in tenants:
        for body, recorded in tenant.replays:
            replay = db.rpc(body, tenant.owner)
            assert (replay.status, replay.body) == (200, recorded)


PROBE_TABLE = """\
create table interview_private.zz_probe_values (
  id integer primary key,
  v1 integer not null
);
comment on table interview_private.zz_probe_values is 'A test table.';
insert into interview_private.zz_probe_values values (1, 41);
"""
NEXT_MIGRATION = """\
alter table interview_private.zz_probe_values rename column v1 to v2;
select pg_catalog.pg_sleep(0.5);  -- a long upgrade: calls arrive while it holds the gate
"""


def _probe(release: str) -> str:
    """A public RPC that waits between its gate and its read (so that calls are inside it
    when an upgrade starts); the next release adds a parameter and reads the renamed column."""
    parameters = "n jsonb default null" + (", m jsonb default null" if release == "next" else "")
    names = ["n"] + (["m"] if release == "next" else [])
    column = "v2" if release == "next" else "v1"
    types = ", ".join("jsonb" for _ in names)
    return (
        f"create or replace function public.zz_probe({parameters})\n"
        "returns jsonb\nlanguage plpgsql\nvolatile\nsecurity definer\nset search_path = pg_catalog, pg_temp\n"
        "as $$\nbegin\n"
        + gate_lines("public.zz_probe", list(names))
        + "  perform pg_catalog.pg_sleep(0.005);\n"
        f"  return (select pg_catalog.jsonb_build_object('v', z.{column} + (n operator(pg_catalog.->>) 'add')::integer,"
        f" 'release', '{release}') from interview_private.zz_probe_values as z where z.id = 1);\n"
        "end\n$$;\n"
        f"comment on function public.zz_probe({types}) is 'A test RPC.';\n"
        f"revoke all on function public.zz_probe({types}) from public, anon;\n"
        f"grant execute on function public.zz_probe({types}) to authenticated;\n"
    )


def _release(project: Project, target: Path, name: str) -> Project:
    copy = copy_project(project, target)
    (copy.migrations_dir / "9983_zz_probe.sql").write_text(PROBE_TABLE)
    (copy.migrations_dir / "9983_zz_probe.rollback.sql").write_text("drop table interview_private.zz_probe_values;\n")
    if name == "next":
        (copy.migrations_dir / "9984_zz_probe_next.sql").write_text(NEXT_MIGRATION)
        (copy.migrations_dir / "9984_zz_probe_next.rollback.sql").write_text(
            "alter table interview_private.zz_probe_values rename column v2 to v1;\n")
    (copy.functions_dir / "public.zz_probe.sql").write_text(_probe(name))
    return copy


def test_an_upgrade_between_gated_releases_that_changes_a_signature_and_the_schema_fails_no_call(
    pg_server: LocalPostgres | DeployedCluster, empty_db: str, project: Project, tmp_path: Path,
) -> None:
    """Every call of an RPC whose signature and table change in the upgrade succeeds:
    calls inside its old body finish first, calls that arrive during the upgrade
    run the new function after the commit (gate.py)."""
    base, following = _release(project, tmp_path / "base", "base"), _release(project, tmp_path / "next", "next")
    migrate(empty_db, base)
    with psycopg.connect(empty_db, autocommit=True) as conn:
        seed(conn, base)
    db = TestDatabase(pg_server, empty_db.rsplit("/", 1)[1])
    try:
        owner = db.owner()
        stop, lock = threading.Event(), threading.Lock()
        seen: dict[str, int] = {"base": 0, "next": 0}
        failures: list[str] = []

        def run(index: int) -> None:
            with psycopg.connect(db.api_url, autocommit=True) as api:
                n = 0
                while not stop.is_set():
                    try:
                        if n % 3 == 2:
                            created = call_rpc(api, RPC, minimal_body(), owner.claims)
                            if created.status != 200:
                                raise AssertionError(f"create: {created.status} {created.body}")
                        else:
                            response = call_rpc(api, "zz_probe", {"n": {"add": index}}, owner.claims)
                            if response.status != 200 or response.body["v"] != 41 + index:
                                raise AssertionError(f"zz_probe: {response.status} {response.body}")
                            with lock:
                                seen[response.body["release"]] += 1
                    except Exception as exc:  # a failed call, whatever it raised
                        with lock:
                            failures.append(f"{type(exc).__name__}: {exc}")
                    n += 1

        threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        upgrade = _migrate_process(following.root, "--database-url", db.url)
        output, _ = upgrade.communicate(timeout=300)
        time.sleep(0.5)
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
        assert upgrade.returncode == 0, output
        print(f"zz_probe answered {seen}; {len(failures)} failed: {failures[:5]}")
        assert failures == [], f"{len(failures)} calls failed: {failures[:5]}"
        assert seen["base"] > 20 and seen["next"] > 20, seen
        assert db.admin.execute("select count(*) as n from pg_proc where proname = 'zz_probe'").fetchone()["n"] == 1
    finally:
        db.close()
