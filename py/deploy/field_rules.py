"""The rule table of the create request, ``interview_private.request_field_rules()``,
read from a deployed database: what the OpenAPI document and the quick check are
generated from."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import psycopg
from psycopg.rows import class_row


@dataclass(frozen=True)
class FieldRule:
    """One row of interview_private.request_field_rules()."""

    scope: str
    ordinal: int
    field: str
    kind: str
    required: bool
    min_length: int | None
    max_length: int | None
    min_value: Decimal | None
    max_value: Decimal | None
    max_items: int | None
    allowed: list[str] | None
    nested_scope: str | None
    hint: str | None
    description: str | None
    trimmed: bool | None
    pattern: str | None


def read_rules(conn: psycopg.Connection) -> list[FieldRule]:
    with conn.cursor(row_factory=class_row(FieldRule)) as cur:
        return cur.execute(
            "select scope, ordinal, field, kind, required, min_length, max_length, min_value, max_value, max_items, "
            "allowed, nested_scope, hint, description, trimmed, pattern from interview_private.request_field_rules() "
            "order by scope, ordinal"
        ).fetchall()
