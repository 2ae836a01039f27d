"""How much of the RPC's distance to the floor is its checks? Three versions of the
create call, measured on the server's clock against the bench's floor (see
benchmarks/README.md).

- ``deployed``: interview_private.create_interview as deployed.
- ``parse_and_write``: the same function with its checks and derived data taken
  out: no limits, no validation (quick check, walk, rules between questions), no
  authorization beyond the caller's own merchant, a bare template lookup for the
  references, constants for the seniority and the expectations. The caller, the
  parse (interview_private.parse_request, the dedup keys included), the credits,
  the scoring config and the writes remain.
- ``write_only``: benchmarks/lower_bound_write_only.sql, the floor's rows written
  straight from the body by one PL/pgSQL function.

Each version replaces the function on a disposable local PostgreSQL (never on a
database of yours: the script starts its own) and is measured as
`interview-db bench` measures the RPC: PostgREST's statement through the
PostgREST-faithful caller, one transaction a call, interleaved with the floor's
INSERTs, pg_stat_statements execution times. Run from a checkout:

    python benchmarks/lower_bound.py --calls 300 --rounds 2
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import click
import psycopg

from interview_db.bench import BENCH_SETTINGS, Bench, BenchOptions
from interview_db.disposable import deployed_local_database
from interview_db.project import RPC_NAME, Project, find_project

VERSIONS = ("deployed", "parse_and_write", "write_only")
WRITE_ONLY = Path(__file__).with_name("lower_bound_write_only.sql")

# (what is taken out, the text in create_interview, what stands in for it)
_TAKEN_OUT = (
    ("the body's size limit",
     "perform interview_private.assert_body_limits('{}', pg_catalog.pg_column_size(p_body));", ""),
    ("the validation", "v_warnings := interview_private.assert_valid_request(p_body, p_key_positions);", ""),
    ("the references",
     "v_template := interview_private.resolve_references(v_request, v_target.merchant_id, v_target.coaching_enabled);",
     "select * into v_template from public.interview_templates as t where t.id = v_request.interview_template_id;"),
    ("the seniority detection",
     "interview_private.detect_seniority(v_request.name, v_request.description, v_request.description_long)",
     "'intermediate'"),
    ("the derived expectations",
     "interview_private.derive_candidate_expectations(v_request.questions, v_request.name, v_seniority)",
     """'{"weak": ["w"], "moderate": ["m"], "strong": ["s"]}'::jsonb"""),
)
_AUTHORIZATION = re.compile(r"select \* into v_target\s+from interview_private\.authorized_merchant\(.*?\);", re.S)
_OWN_MERCHANT = ("select m.id as merchant_id, m.coaching_enabled into v_target "
                 "from public.merchants as m where m.id = v_caller.merchant_id;")
_VALUE_LIMITS = re.compile(r"perform interview_private\.assert_body_limits\(\s*array\[.*?\],\s*null\s*\);", re.S)


def _function_file(project: Project, name: str) -> str:
    return (project.functions_dir / f"{name}.sql").read_text(encoding="utf-8")


def _replaced_once(text: str, old: str | re.Pattern[str], new: str, what: str) -> str:
    """``text`` with ``old`` (a literal or a pattern), which must occur exactly once, replaced by ``new``."""
    pattern = old if isinstance(old, re.Pattern) else re.compile(re.escape(old))
    result, count = pattern.subn(lambda _: new, text)
    if count != 1:
        raise click.ClickException(f"{what}: its call is no longer in the function as written; update this script")
    return result


def version_sql(project: Project, version: str) -> list[str]:
    """The function definitions that make ``version`` of the create call."""
    create = _function_file(project, "interview_private.create_interview")
    rpc = _function_file(project, f"public.{RPC_NAME}")
    if version == "deployed":
        return [create, rpc]
    rpc = _replaced_once(rpc, _VALUE_LIMITS, "", "the limits on the values")
    if version == "write_only":
        return [WRITE_ONLY.read_text(encoding="utf-8"), rpc]
    if version != "parse_and_write":
        raise click.ClickException(f"no version {version!r}: one of {', '.join(VERSIONS)}")
    for what, old, new in _TAKEN_OUT:
        create = _replaced_once(create, old, new, what)
    create = _replaced_once(create, _AUTHORIZATION, _OWN_MERCHANT, "the authorization")
    return [create, rpc]


def use_version(conn: psycopg.Connection, project: Project, version: str) -> None:
    for definition in version_sql(project, version):
        conn.execute(definition)  # type: ignore[arg-type]


def run(url: str, api_url: str, project: Project, sizes: tuple[int, ...], calls: int, rounds: int,
        echo: Callable[[str], None]) -> None:
    echo(f"{'round':>5}  {'version':<16} {'N':>4}  {'server rpc':>10}  {'server floor':>12}  {'ratio':>5}")
    with psycopg.connect(url, autocommit=True) as admin:
        try:
            for round_ in range(1, rounds + 1):
                # each round starts with another version: the tables grow as they are measured
                start = (round_ - 1) % len(VERSIONS)
                for version in VERSIONS[start:] + VERSIONS[:start]:
                    use_version(admin, project, version)
                    # the bench's own measurement of each size, server clock included
                    bench = Bench(url, api_url, BenchOptions(sizes=sizes, calls=calls), lambda _: None)
                    try:
                        points = bench.sizes()
                    finally:
                        bench.close()
                    for p in points:
                        echo(f"{round_:>5}  {version:<16} {p.questions:>4}  {p.server_rpc_ms:>10.2f}  "
                             f"{p.server_floor_ms:>12.2f}  {p.server_ratio:>5.2f}")
        finally:
            use_version(admin, project, "deployed")


@click.command()
@click.option("--calls", type=click.IntRange(1), default=300, show_default=True, help="Calls per version and size.")
@click.option("--rounds", type=click.IntRange(1), default=2, show_default=True, help="Times to measure every version.")
@click.option("--sizes", default="10,200", show_default=True, help="Question counts, comma-separated.")
def main(calls: int, rounds: int, sizes: str) -> None:
    """Measure the deployed create call, its parse-and-write skeleton and a write-only
    version against the floor, on a disposable local PostgreSQL."""
    project = find_project()
    with deployed_local_database(project, lambda m: click.echo(m, err=True), settings=BENCH_SETTINGS) as pg:
        with psycopg.connect(pg.url(), autocommit=True) as conn:
            conn.execute("create extension if not exists pg_stat_statements")
        run(pg.url(), pg.url(user="authenticator"), project, tuple(int(n) for n in sizes.split(",")), calls, rounds,
            click.echo)


if __name__ == "__main__":
    main()
