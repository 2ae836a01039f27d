"""The read section of `interview-db bench`: what a tenant's read costs through
RLS when the tables hold every other tenant's rows.

A database with N interview sets over N/100 merchants (trees of depth 1 to 3,
and one chain of 500 sub-merchants), about 8 steps per set, loaded by
set-based SQL as the superuser. The readers' own rows are the same at every N
(a depth-3 tree of 7 merchants with 20 sets each; 2,000 sets at the bottom of
the chain), so a read that costs the reader's rows costs the same at 100,000
and at 1,000,000 sets. Each read runs as PostgREST runs it (one transaction,
role and request.jwt.claims set locally) under EXPLAIN (ANALYZE, TIMING OFF):
its server time is the plan's execution time, beside the same read as the
superuser with an explicit merchant_id filter; the floor: that read with the
reader's merchants as a constant InitPlan on every table the policies filter
(RLS's plan with a free merchant set; the rest of the gap is the set's cost);
and the bound: that read with the set looked up by plain SQL from the reader's
user id (the profile, then the closure: no JWT, no function call), the least a
merchant set found in the database once per statement can cost.
The merchants are loaded past the triggers, so their closure
(interview_private.merchant_ancestry) is loaded beside them.
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from .postgrest import service_role_claims, user_claims

Progress = Callable[[str], None]
TEMPLATE_ID = "5b6f0c3e-2a51-4f0e-9d4c-1a7e3c9b0001"  # the voice template of the seeds
STEPS_PER_SET = 8  # welcome, six questions, thank-you
TREE_SETS = 20  # sets of each merchant of the readers' tree
CHAIN = 500
CHAIN_SETS = 2_000

# each read: the API's query, and the superuser's with an explicit merchant filter ({merchants})
READS: dict[str, tuple[str, str]] = {
    "limit 1000": (
        "select id, name from public.interview_def_set limit 1000",
        "select id, name from public.interview_def_set where merchant_id = any({merchants}) limit 1000",
    ),
    "count": (
        "select count(*) from public.interview_def_set",
        "select count(*) from public.interview_def_set where merchant_id = any({merchants})",
    ),
    "latest 20": (
        "select id, name, created_at from public.interview_def_set order by created_at desc limit 20",
        "select id, name, created_at from public.interview_def_set where merchant_id = any({merchants}) "
        "order by created_at desc limit 20",
    ),
    "one set with its steps": (
        "select s.id, s.name, st.position, st.kind from public.interview_def_set as s "
        "join public.interview_def_step as st on st.interview_def_set_id = s.id where s.id = {set_id}",
        "select s.id, s.name, st.position, st.kind from public.interview_def_set as s "
        "join public.interview_def_step as st on st.interview_def_set_id = s.id "
        "where s.id = {set_id} and s.merchant_id = any({merchants})",
    ),
    "steps count": (
        "select count(*) from public.interview_def_step",
        "select count(*) from public.interview_def_step where merchant_id = any({merchants})",
    ),
}
# The floor: the superuser's read with the reader's set as a constant computed once per statement
# (an InitPlan on every table the policies filter): what the read costs through RLS with a free
# merchant set, so that the rest of the gap to the superuser's read is the cost of the set itself.
FLOOR_READS: dict[str, str] = {
    "one set with its steps": (
        "select s.id, s.name, st.position, st.kind from public.interview_def_set as s "
        "join public.interview_def_step as st on st.interview_def_set_id = s.id "
        "where s.id = {set_id} and s.merchant_id = any({merchants}) and st.merchant_id = any({merchants})"),
}


def _set_lookup(user_id: str) -> str:
    """The reader's merchant set looked up by plain SQL from their user id, as the bound's set: the
    profile by its key, then the closure's range (what interview_private.profile_merchant_ids reads
    for owners and staff), with no JWT to parse and no function to call."""
    return ("(select coalesce(pg_catalog.array_agg(a.merchant_id), '{}') from public.profiles as p "
            "join interview_private.merchant_ancestry as a on a.ancestor_id = p.merchant_id "
            f"where p.id = '{user_id}' and p.role in ('merchant_owner', 'merchant'))::uuid[]")


# readers of a small tenant (the 50 ms and 3x targets), readers who may see nothing (5 ms)
TENANT_READERS = ("owner", "staff", "grandchild staff", "chain top owner", "chain bottom staff")
EMPTY_READERS = ("candidate", "no profile")
READERS = (*TENANT_READERS, *EMPTY_READERS, "admin", "service_role")
PLANNED_READERS = ("owner", "admin")  # whose plans the result keeps


@dataclass
class ReadTime:
    server_ms: float  # median execution time through RLS, as the reader
    superuser_ms: float | None  # the same read as the superuser, filtered by merchant_id (None: reads everything)
    rows: int  # rows the read returns; for a count, the count
    floor_ms: float | None = None  # the superuser's read with the set as a constant InitPlan (FLOOR_READS)
    bound_ms: float | None = None  # the superuser's read with the set looked up by plain SQL (_set_lookup)


@dataclass
class ReadPoint:
    sets: int
    merchants: int
    steps: int
    load_seconds: float
    repeats: int
    times: dict[str, dict[str, ReadTime]] = field(default_factory=dict)  # reader -> read -> time
    plans: dict[str, str] = field(default_factory=dict)  # "reader: read" -> plan text


@dataclass(frozen=True)
class _Reader:
    name: str
    claims: dict[str, Any]
    merchants: list[str] | None  # None: reads everything (admin, service_role)
    set_id: str  # a set of their own (or the owner's, for those who see nothing)
    user_id: str | None = None  # None: service_role


def _merchant(run: str, g: str) -> str:
    return f"md5('{run}-m' || ({g}))::uuid"


class ReadBench:
    """Loads the read database in stages (N grows) and measures every reader's reads."""

    def __init__(self, admin_url: str, api_url: str, progress: Progress, repeats: int = 7) -> None:
        self.admin = psycopg.connect(admin_url, autocommit=True)
        self.api = psycopg.connect(api_url, autocommit=True)
        self.progress = progress
        self.repeats = repeats
        self.run = f"reads{uuid.uuid4().hex[:8]}"
        self.sets = 0
        self.merchants = 0
        self.chain = 0
        self.chain_sets = 0
        self.readers: list[_Reader] = []

    def close(self) -> None:
        self.admin.close()
        self.api.close()

    # -- loading ---------------------------------------------------------------------
    def _set_merchant(self, merchants: int) -> str:
        """The merchant of set g: the readers' tree (1..7, 20 sets each), the chain's bottom,
        else one of the other merchants (8 + chain .. merchants), round robin."""
        others = merchants - 7 - self.chain
        return (f"case when g <= {7 * TREE_SETS} then 1 + (g - 1) / {TREE_SETS} "
                f"when g <= {7 * TREE_SETS + self.chain_sets} then {7 + self.chain} "
                f"else {8 + self.chain} + g % {others} end")

    def grow(self, sets: int) -> float:
        """Add sets (and merchants, question records, steps) until the database holds ``sets``
        of this run; returns the seconds it took (load, vacuum analyze, checkpoint)."""
        start = time.perf_counter()
        merchants = max(sets // 100, 20)
        if not self.merchants:
            self.chain = min(CHAIN, merchants // 2)
            self.chain_sets = min(CHAIN_SETS, sets // 10)
        if sets < 7 * TREE_SETS + self.chain_sets + 1 or merchants <= 7 + self.chain + 7:
            raise ValueError(f"--read-sets {sets} is too small: at least {7 * TREE_SETS + self.chain_sets + 1} sets")
        run, first_m, first_s = self.run, self.merchants + 1, self.sets + 1
        tree_top = 8 + self.chain  # other merchants: groups of 7 of depth 3, 2 and 1 in turn
        parent = (f"case when g <= 7 then case when g = 1 then null when g <= 3 then 1 when g <= 5 then 2 else 3 end "
                  f"when g <= {7 + self.chain} then case when g = 8 then null else g - 1 end "
                  f"else case ((g - {tree_top}) / 7) % 3 "
                  f"when 0 then case (g - {tree_top}) % 7 when 0 then null when 1 then g - 1 when 2 then g - 2 "
                  f"when 3 then g - 2 when 4 then g - 3 when 5 then g - 3 else g - 4 end "
                  f"when 1 then case (g - {tree_top}) % 7 when 0 then null else g - (g - {tree_top}) % 7 end "
                  f"else null end end")
        statements = [
            ("merchants", f"""
                insert into public.merchants (id, name, parent_merchant_id)
                select {_merchant(run, 'g')}, 'Read merchant ' || g,
                       case when ({parent}) is null then null else {_merchant(run, parent)} end
                from generate_series({first_m}, {merchants}) as g"""),
            # the tree's closure, which the merchants' trigger keeps (off here): each new merchant
            # walked up to its root (a parent may be a merchant of an earlier stage)
            ("merchant ancestry", f"""
                insert into interview_private.merchant_ancestry (ancestor_id, merchant_id)
                with recursive up (ancestor_id, merchant_id) as (
                  select m.id, m.id from public.merchants as m
                  where m.id in (select {_merchant(run, 'g')} from generate_series({first_m}, {merchants}) as g)
                  union all
                  select p.parent_merchant_id, u.merchant_id
                  from up as u join public.merchants as p on p.id = u.ancestor_id
                  where p.parent_merchant_id is not null
                )
                select u.ancestor_id, u.merchant_id from up as u"""),
            ("question records", f"""
                insert into public.interview_def_question (id, merchant_id, question, mojito_language_code, duration,
                  dedup_key)
                select md5('{run}-q' || g || '-' || p)::uuid, {_merchant(run, 'g')}, 'Question ' || p || '?', 'en', 120,
                       md5('{run}-k' || g || '-' || p)::uuid
                from generate_series({first_m}, {merchants}) as g, generate_series(2, {STEPS_PER_SET - 1}) as p"""),
            ("interview sets", f"""
                insert into public.interview_def_set (id, merchant_id, interview_template_id, mojito_language_code,
                  name, location, description, status, type, visibility, seniority_level,
                  interview_conversation_speed, max_followups, scoring_config, credits_per_session, activated_at,
                  created_at)
                select md5('{run}-s' || g)::uuid, {_merchant(run, self._set_merchant(merchants))}, '{TEMPLATE_ID}',
                       'en', 'Role ' || g, 'remote', 'A loaded interview.', 'active', 'interview', 'merchant_public',
                       'intermediate', 'normal', 2, '{{"max_score": 100}}', 1, now(),
                       now() - ((g::bigint * 7919) % 1000003) * interval '1 second'
                from generate_series({first_s}, {sets}) as g"""),
            ("steps", f"""
                insert into public.interview_def_step (interview_def_set_id, merchant_id, position, kind, question_id,
                  text)
                select md5('{run}-s' || g)::uuid, {_merchant(run, 'm.mg')}, p,
                       (case p when 1 then 'welcome' when {STEPS_PER_SET} then 'thank_you' else 'question' end)
                         ::public.interview_step_kind,
                       case when p between 2 and {STEPS_PER_SET - 1} then md5('{run}-q' || m.mg || '-' || p)::uuid end,
                       case p when 1 then 'Welcome!' when {STEPS_PER_SET} then 'Thank you!' end
                from generate_series({first_s}, {sets}) as g
                cross join lateral (select {self._set_merchant(merchants)} as mg) as m
                cross join generate_series(1, {STEPS_PER_SET}) as p"""),
        ]
        with self.admin.transaction():
            # rows consistent by construction: no per-row foreign key or cycle triggers
            self.admin.execute("set local session_replication_role = replica")
            for label, statement in statements:
                self.progress(f"reads: loading {label} up to {sets:,} sets")
                self.admin.execute(statement)
        self.progress("reads: vacuum analyze and checkpoint")
        self.admin.execute("vacuum analyze")
        self.admin.execute("checkpoint")
        self.merchants, self.sets = merchants, sets
        if not self.readers:
            self.readers = self._make_readers()
        return time.perf_counter() - start

    def _make_readers(self) -> list[_Reader]:
        def m(g: int) -> str:
            return str(self.admin.execute(f"select {_merchant(self.run, str(g))}").fetchone()[0])  # type: ignore[index]

        def s(g: int) -> str:
            return str(self.admin.execute(f"select md5('{self.run}-s' || {g})::uuid").fetchone()[0])  # type: ignore[index]

        tree = [m(g) for g in range(1, 8)]
        bottom = 7 + self.chain
        chain = [m(g) for g in range(8, bottom + 1)]
        owner_set, bottom_set = s(1), s(7 * TREE_SETS + 1)
        people = [  # name, merchant, role, merchants read, own set
            ("owner", tree[0], "merchant_owner", tree, owner_set),
            ("staff", tree[0], "merchant", tree, owner_set),
            ("grandchild staff", tree[3], "merchant", [tree[3]], s(3 * TREE_SETS + 1)),
            ("chain top owner", chain[0], "merchant_owner", chain, bottom_set),
            ("chain bottom staff", chain[-1], "merchant", [chain[-1]], bottom_set),
            ("candidate", tree[0], "candidate", [], owner_set),
            ("no profile", None, None, [], owner_set),
            ("admin", None, "admin", None, owner_set),
        ]
        readers = []
        with self.admin.transaction():
            for name, merchant, role, merchants, set_id in people:
                user_id = str(uuid.uuid4())
                self.admin.execute("insert into auth.users (id, email) values (%s, %s)",
                                   (user_id, f"{user_id}@reads.test"))
                if role is not None:
                    self.admin.execute("insert into public.profiles (id, merchant_id, role) values (%s, %s, %s)",
                                       (user_id, merchant, role))
                readers.append(_Reader(name, user_claims(user_id), merchants, set_id, user_id))
        readers.append(_Reader("service_role", service_role_claims(), None, owner_set))
        return readers

    # -- measuring -------------------------------------------------------------------
    def _run(self, conn: psycopg.Connection, query: str, claims: dict[str, Any] | None, analyze: bool = True) -> Any:
        """One read in a transaction of its own, as PostgREST runs it (role and claims set locally
        when ``claims``): its EXPLAIN ANALYZE plan (JSON), or with ``analyze`` off its plan text and
        what it returns."""
        with conn.transaction(force_rollback=True):
            if claims is not None:
                conn.execute("select set_config('role', %s, true), set_config('request.jwt.claims', %s, true)",
                             (claims["role"], json.dumps(claims)))
            if analyze:
                return conn.execute(f"explain (analyze, timing off, format json) {query}").fetchone()[0][0]  # type: ignore[index]
            plan = "\n".join(r[0] for r in conn.execute(f"explain (costs off) {query}").fetchall())
            return plan, conn.execute(query).fetchall()

    def _medians(self, variants: list[tuple[psycopg.Connection, str, dict[str, Any] | None]]) -> list[float]:
        """Median execution time (ms) of each variant of one read, run in turn (the first of each
        unmeasured, to warm it), so that a drift of the machine weighs on every variant alike."""
        times: list[list[float]] = [[] for _ in variants]
        for i in range(self.repeats + 1):
            for k, (conn, query, claims) in enumerate(variants):
                execution = float(self._run(conn, query, claims)["Execution Time"])
                if i:
                    times[k].append(execution)
        return [round(statistics.median(t), 3) for t in times]

    def measure(self, load_seconds: float) -> ReadPoint:
        steps = self.sets * STEPS_PER_SET
        point = ReadPoint(self.sets, self.merchants, steps, round(load_seconds, 1), self.repeats)
        for reader in self.readers:
            self.progress(f"reads at {self.sets:,} sets: {reader.name}")
            point.times[reader.name] = {}
            for read, (api_query, filtered) in READS.items():
                set_id = sql.Literal(reader.set_id).as_string(self.admin)
                query = api_query.format(set_id=set_id)
                plan, result = self._run(self.api, query, reader.claims, analyze=False)
                rows = int(result[0][0]) if query.startswith("select count(*)") else len(result)
                variants = [(self.api, query, reader.claims)]
                if reader.merchants is not None and reader.user_id is not None:
                    merchants = sql.Literal(reader.merchants).as_string(self.admin) + "::uuid[]"
                    policy_read = FLOOR_READS.get(read, filtered)
                    variants += [
                        (self.admin, filtered.format(set_id=set_id, merchants=merchants), None),  # superuser
                        (self.admin, policy_read.format(set_id=set_id, merchants=f"(select {merchants})::uuid[]"),
                         None),  # floor
                        (self.admin, policy_read.format(set_id=set_id, merchants=_set_lookup(reader.user_id)),
                         None),  # bound
                    ]
                ms, *others = self._medians(variants)
                superuser, floor, bound = others if others else (None, None, None)
                point.times[reader.name][read] = ReadTime(ms, superuser, rows, floor, bound)
                if reader.name in PLANNED_READERS:
                    point.plans[f"{reader.name}: {read}"] = plan
        return point


def _worst(cells: list[tuple[float, str]]) -> tuple[float, str]:
    """The largest of (figure, where it was measured)."""
    return max(cells, key=lambda cell: cell[0])


def read_targets(points: list[ReadPoint]) -> dict[str, dict[str, Any]]:
    """The read section's targets (BenchResult.targets). A ratio target names the read that sets
    it ("where"), and carries the same figure for what no design can beat ("bound", "bound_note",
    "bound_where"): when the bound itself misses, the target is out of reach, and the value's
    distance from the bound is what a design still decides."""
    if not points:
        return {}
    targets: dict[str, dict[str, Any]] = {}
    tenant = [(f"{r}, {read}, {p.sets:,} sets", t) for p in points for r in TENANT_READERS
              for read, t in p.times.get(r, {}).items()]
    slowest = max(t.server_ms for _, t in tenant)
    targets["reads: every reader of a small tenant <= 50 ms"] = {"value": slowest, "met": slowest <= 50}
    ratio, where = _worst([(round(t.server_ms / t.superuser_ms, 2), cell) for cell, t in tenant if t.superuser_ms])
    target: dict[str, Any] = {"value": ratio, "met": ratio <= 3, "where": where}
    bounded = [(round(t.bound_ms / t.superuser_ms, 2), cell) for cell, t in tenant if t.superuser_ms and t.bound_ms]
    if bounded:
        target["bound"], target["bound_where"] = _worst(bounded)
        target["bound_note"] = "the same reads with the set looked up by plain SQL from the user's id"
    targets["reads: every reader of a small tenant <= 3 x the superuser's filtered read"] = target
    empty = max(t.server_ms for p in points for r in EMPTY_READERS for t in p.times.get(r, {}).values())
    targets["reads: a reader who may see nothing <= 5 ms"] = {"value": empty, "met": empty <= 5}
    if len(points) >= 2:
        small, large = min(points, key=lambda p: p.sets), max(points, key=lambda p: p.sets)
        growth, where = _worst([
            (round(large.times[r][read].server_ms / small.times[r][read].server_ms, 2), f"{r}, {read}")
            for r in (*TENANT_READERS, *EMPTY_READERS) for read in READS
            if small.times[r][read].server_ms > 0
        ])
        target = {"value": growth, "met": growth <= 1.5, "where": where}
        superuser = [(small.times[r][read].superuser_ms, large.times[r][read].superuser_ms, f"{r}, {read}")
                     for r in TENANT_READERS for read in READS]
        if all(a and b for a, b, _ in superuser):
            target["bound"], target["bound_where"] = _worst(
                [(round(b / a, 2), cell) for a, b, cell in superuser])  # type: ignore[operator]
            target["bound_note"] = "the superuser's own filtered reads"
        targets[f"reads: {large.sets:,} / {small.sets:,} sets <= 1.5 for every reader of a tenant"] = target
    return targets


def _cell(t: ReadTime) -> str:
    """Server ms, with the superuser's filtered read, the floor and the bound when there are (a reader
    of merchants)."""
    if t.superuser_ms is None or t.floor_ms is None or t.bound_ms is None:
        return f"{t.server_ms:.2f}"
    return f"{t.server_ms:.2f} ({t.superuser_ms:.2f}, {t.floor_ms:.2f}, {t.bound_ms:.2f})"


def format_reads(points: list[ReadPoint]) -> list[str]:
    lines: list[str] = []
    for p in points:
        lines += ["", f"Reads through RLS: {p.sets:,} sets, {p.steps:,} steps, {p.merchants:,} merchants "
                      f"(loaded in {p.load_seconds} s); server ms (superuser with a merchant_id filter, "
                      f"floor: RLS's plan with the set free, bound: the set looked up by plain SQL), "
                      f"median of {p.repeats}",
                  "  " + f"{'reader':<20}" + "".join(f"{read:>32}" for read in READS)]
        for reader, reads in p.times.items():
            cells = "".join(f"{_cell(t):>32}" for t in reads.values())
            lines.append(f"  {reader:<20}{cells}")
    return lines


def run_reads(admin_url: str, api_url: str, sizes: tuple[int, ...], progress: Progress,
              repeats: int = 7) -> list[ReadPoint]:
    bench = ReadBench(admin_url, api_url, progress, repeats)
    points = []
    try:
        for sets in sorted(sizes):
            seconds = bench.grow(sets)
            progress(f"reads: {sets:,} sets loaded in {seconds:.1f} s")
            points.append(bench.measure(seconds))
    finally:
        bench.close()
    return points
