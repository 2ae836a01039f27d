"""The worst bodies we can build within the limits, and the server time each costs.

A small body must never buy seconds of server time: each hostile body below is
run on the server as a signed-in owner, as the statement PostgREST builds for it
(interview_db.postgrest.rpc_statement, the body its parameter), timed by the
server's own clock around it (most of these calls fail, and PostgreSQL's
statistics keep no time for a statement that fails), and set against a valid
200-question body's time. The target: the worst within 20 times the valid body.
"""

from __future__ import annotations

import json
import statistics
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg

from .postgrest import SchemaCache, call_rpc, rpc_statement

RPC = "job_interview_create_from_array"
BODY_LIMIT = 2 * 1024 * 1024
TARGET = 20.0


@dataclass
class HostileBody:
    name: str
    text: str
    expected_status: int


@dataclass
class HostilePoint:
    name: str
    bytes: int
    status: int
    server_ms: float
    ratio: float


@dataclass
class HostileResult:
    baseline_ms: float
    points: list[HostilePoint] = field(default_factory=list)

    @property
    def worst(self) -> HostilePoint | None:
        return max(self.points, key=lambda p: p.ratio) if self.points else None


def _base(template_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": "Backend developer", "location": "remote", "interview_template_id": template_id,
        "mojito_language_code": "en", "description": "Builds and runs our APIs.", "status": "draft",
        "type": "interview", "visibility": "merchant_public", **extra,
    }


def _fill(make_item: Callable[[int], str], prefix: str, suffix: str, budget: int = BODY_LIMIT - 4096) -> str:
    """prefix + items joined by commas + suffix, as many items as fit in ``budget`` bytes of JSON text."""
    parts, size, i = [], len(prefix) + len(suffix), 0
    while True:
        item = make_item(i)
        if size + len(item) + 1 > budget:
            break
        parts.append(item)
        size += len(item) + 1
        i += 1
    return prefix + ",".join(parts) + suffix


def valid_body(template_id: str, tag: str) -> dict[str, Any]:
    """A valid 200-question body: the baseline."""
    return _base(template_id, questions=[
        {"id": f"q{i}", "question": f"Question {i} of call {tag}: tell us about a project you led?", "duration": 120}
        for i in range(200)])


def hostile_bodies(template_id: str) -> list[HostileBody]:
    base = json.dumps(_base(template_id))[:-1]  # without the closing brace
    nested = "[" * 62 + "1" + "]" * 62
    combining = "e\u0301\u0302\u0303" * 4000
    return [
        HostileBody("numbers beyond a double in one question's extra keys", _fill(
            lambda i: f'"k{i}": 1e131071', base + ', "questions": [{"question": "Why?", ', "}]}"), 422),
        HostileBody("numbers beyond a double in hiring_for_company", _fill(
            lambda i: f'"k{i}": -1e-16383', base + ', "questions": ["Why?"], "hiring_for_company": {', "}}"), 422),
        HostileBody("2 MiB of unknown keys of 64 characters (fallback overload)", _fill(
            lambda i: json.dumps(f"{i:08d}" + "x" * 56) + ": 1", base + ', "questions": ["Why?"], ', "}"), 422),
        HostileBody("2 MiB of near-miss unknown keys (fallback overload)", _fill(
            lambda i: json.dumps(f"nmae{i:06d}") + ": 1", base + ', "questions": ["Why?"], ', "}"), 422),
        HostileBody("2 MiB of extra keys in question objects (more than 200 questions)", _fill(
            lambda i: f'{{"question": "Q{i}?", ' + ", ".join(f'"x{i:03d}{j:04d}": true' for j in range(60)) + "}",
            base + ', "questions": [', "]}", budget=BODY_LIMIT - 4096), 422),
        HostileBody("200 questions of 64 keys (the most), 63 of them about the length of field names", json.dumps(_base(
            template_id, questions=[{"question": f"Q{i}?", **{f"zq{i:03d}{j:03d}": 1 for j in range(63)}}
                                    for i in range(200)])), 200),
        HostileBody("nesting to the limit, 2 MiB of it", _fill(
            lambda i: f'{{"question": "Q{i}?", "deep": ' + ", ".join([nested] * 1) + "}",
            base + ', "questions": [', "]}", budget=BODY_LIMIT - 4096), 422),
        HostileBody("2 MiB of questions (200 of 2000 characters with 20 alternatives)", json.dumps(_base(
            template_id, questions=[{"question": f"{i} " + "q" * 1990, "question_alternatives": [
                f"{i}-{j} " + "a" * 400 for j in range(20)]} for i in range(200)])), 422),
        HostileBody("long texts of combining marks", json.dumps(_base(
            template_id, description=combining[:19_000], description_long=combining * 6,
            questions=[{"question": combining[:1999]} for _ in range(100)]), ensure_ascii=False), 200),
        HostileBody("a huge array of tags", _fill(
            lambda i: '"t"', base + ', "questions": ["Why?"], "tags": [', "]}"), 422),
        HostileBody("huge arrays of question alternatives", _fill(
            lambda i: '"a"', base + ', "questions": [{"question": "Why?", "question_alternatives": [', "]}]}"), 422),
    ]


_TIMER = """
create or replace function pg_temp.server_ms(statement text, body text, out ms double precision, out error_code text)
language plpgsql volatile as $timer$
declare
  started timestamptz := clock_timestamp();
begin
  begin
    execute statement using body;
  exception when others then
    get stacked diagnostics error_code = returned_sqlstate;
  end;
  ms := extract(epoch from clock_timestamp() - started) * 1000;
end
$timer$
"""


def _server_ms(api: psycopg.Connection, statement: str, text: str, claims: dict[str, Any]) -> tuple[float, str | None]:
    """The server's time of one call: PostgREST's statement in its transaction, as the caller."""
    with api.transaction(force_rollback=True):
        api.execute("select set_config('role', %s, true), set_config('request.jwt.claims', %s, true)",
                    (claims["role"], json.dumps(claims)))
        row = api.execute("select ms, error_code from pg_temp.server_ms(%s, %s)", (statement, text)).fetchone()
    assert row is not None
    return float(row[0]), row[1]


def measure(api: psycopg.Connection, claims: dict[str, Any], template_id: str,
            repeats: int = 3, progress: Callable[[str], None] = lambda _: None) -> HostileResult:
    """Each hostile body's median server time per call, and the valid 200-question body's."""
    cache = SchemaCache()
    api.execute(_TIMER)

    def timed(text: str) -> tuple[int, float]:
        status = call_rpc(api, RPC, None, claims, raw_body=text, schema_cache=cache, tx_rollback=True).status
        statement = rpc_statement(api, RPC, text, schema_cache=cache)
        return status, statistics.median(_server_ms(api, statement, text, claims)[0] for _ in range(repeats))

    for _ in range(3):  # warm the session's plans
        timed(json.dumps(valid_body(template_id, uuid.uuid4().hex)))
    progress("hostile bodies: the valid 200-question body")
    base_status, baseline = timed(json.dumps(valid_body(template_id, uuid.uuid4().hex)))
    if base_status != 200:
        raise RuntimeError(f"the valid 200-question body was refused: {base_status}")
    result = HostileResult(round(baseline, 3))
    for body in hostile_bodies(template_id):
        progress(f"hostile bodies: {body.name}")
        status, ms = timed(body.text)
        result.points.append(HostilePoint(body.name, len(body.text.encode()), status, round(ms, 3),
                                          round(ms / baseline, 2)))
    return result


def format_hostile(result: HostileResult) -> list[str]:
    lines = [f"Hostile bodies (server time per call; a valid 200-question body: {result.baseline_ms:.2f} ms)",
             f"  {'body':<74} {'bytes':>9} {'status':>6} {'ms':>8} {'x valid':>7}"]
    for p in result.points:
        lines.append(f"  {p.name:<74} {p.bytes:>9,} {p.status:>6} {p.server_ms:>8.2f} {p.ratio:>7.2f}")
    return lines
