"""Reference data from sql/seeds/: platform languages with their Azure accents,
and the global interview templates. Upserts that touch only rows whose content
differs, so a second run changes nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from .project import Project

LANGUAGES_FILE = "platform-languages.json"
TEMPLATES_FILE = "interview-templates.json"


class SeedError(RuntimeError):
    """The seed files or the target database are not as expected."""


@dataclass
class SeedResult:
    """Rows written per table (inserted or updated, and deleted)."""

    written: dict[str, int] = field(default_factory=dict)
    deleted: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(self.written.values()) or any(self.deleted.values())


def load_seed(path: Path) -> list[dict[str, object]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SeedError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise SeedError(f"{path} must hold a JSON array of objects")
    return data


_UPSERT_LANGUAGES = """
insert into public.platform_languages as t (
  code, name_english, name_local, flag_emoji, coaching_interface, interview_interface,
  admin_interface, pronunciation_capable, sort_order
)
select code, name_english, name_local, flag_emoji, coaching_interface, interview_interface,
       admin_interface, pronunciation_capable, (e.ordinality - 1)::integer
from jsonb_array_elements(%(seed)s) with ordinality as e (item, ordinality),
     jsonb_to_record(e.item) as x (
  code text, name_english text, name_local text, flag_emoji text, coaching_interface boolean,
  interview_interface boolean, admin_interface boolean, pronunciation_capable boolean
)
on conflict (code) do update set
  name_english = excluded.name_english, name_local = excluded.name_local, flag_emoji = excluded.flag_emoji,
  coaching_interface = excluded.coaching_interface, interview_interface = excluded.interview_interface,
  admin_interface = excluded.admin_interface, pronunciation_capable = excluded.pronunciation_capable,
  sort_order = excluded.sort_order
where (t.name_english, t.name_local, t.flag_emoji, t.coaching_interface, t.interview_interface,
       t.admin_interface, t.pronunciation_capable, t.sort_order)
  is distinct from
      (excluded.name_english, excluded.name_local, excluded.flag_emoji, excluded.coaching_interface,
       excluded.interview_interface, excluded.admin_interface, excluded.pronunciation_capable, excluded.sort_order)
"""

_ACCENTS = """
select l ->> 'code' as language_code, a ->> 'locale' as locale, a ->> 'name' as name,
       coalesce((a ->> 'primary')::boolean, false) as is_primary
from jsonb_array_elements(%(seed)s) as l, jsonb_array_elements(l -> 'azure_accents') as a
"""

_DELETE_STALE_ACCENTS = f"""
delete from public.platform_language_accents as t
where t.language_code in (select l ->> 'code' from jsonb_array_elements(%(seed)s) as l)
  and (t.language_code, t.locale) not in (select language_code, locale from ({_ACCENTS}) as s)
"""

# Clear the primary flag first where it moves, so the one-primary index never
# sees two primaries of one language in the middle of the upsert.
_CLEAR_MOVED_PRIMARY = f"""
update public.platform_language_accents as t set is_primary = false
from ({_ACCENTS}) as s
where t.language_code = s.language_code and t.locale = s.locale and t.is_primary and not s.is_primary
"""

_UPSERT_ACCENTS = f"""
insert into public.platform_language_accents as t (language_code, locale, name, is_primary)
select language_code, locale, name, is_primary from ({_ACCENTS}) as s
on conflict (language_code, locale) do update set name = excluded.name, is_primary = excluded.is_primary
where (t.name, t.is_primary) is distinct from (excluded.name, excluded.is_primary)
"""

_UPSERT_TEMPLATES = """
insert into public.interview_templates as t (
  id, name, merchant_id, kind, description, base_credit, default_welcome_message,
  default_thank_you_message, default_max_followups, default_conversation_speed,
  default_answer_duration_seconds, scoring_overrides, is_active
)
select id, name, null, kind::public.interview_template_kind, description, base_credit,
       default_welcome_message, default_thank_you_message, default_max_followups,
       default_conversation_speed::public.conversation_speed, default_answer_duration_seconds,
       coalesce(scoring_overrides, '{}'::jsonb), coalesce(is_active, true)
from jsonb_to_recordset(%(seed)s) as x (
  id uuid, name text, kind text, description text, base_credit numeric, default_welcome_message text,
  default_thank_you_message text, default_max_followups integer, default_conversation_speed text,
  default_answer_duration_seconds integer, scoring_overrides jsonb, is_active boolean
)
on conflict (id) do update set
  name = excluded.name, merchant_id = excluded.merchant_id, kind = excluded.kind,
  description = excluded.description, base_credit = excluded.base_credit,
  default_welcome_message = excluded.default_welcome_message,
  default_thank_you_message = excluded.default_thank_you_message,
  default_max_followups = excluded.default_max_followups,
  default_conversation_speed = excluded.default_conversation_speed,
  default_answer_duration_seconds = excluded.default_answer_duration_seconds,
  scoring_overrides = excluded.scoring_overrides, is_active = excluded.is_active
where (t.name, t.merchant_id, t.kind, t.description, t.base_credit, t.default_welcome_message,
       t.default_thank_you_message, t.default_max_followups, t.default_conversation_speed,
       t.default_answer_duration_seconds, t.scoring_overrides, t.is_active)
  is distinct from
      (excluded.name, excluded.merchant_id, excluded.kind, excluded.description, excluded.base_credit,
       excluded.default_welcome_message, excluded.default_thank_you_message, excluded.default_max_followups,
       excluded.default_conversation_speed, excluded.default_answer_duration_seconds,
       excluded.scoring_overrides, excluded.is_active)
"""


@dataclass(frozen=True)
class SeedStep:
    """One upsert of the seed: the table whose count it adds to, whether it
    writes or deletes rows, the seed file it reads (bound to ``%(seed)s``) and
    the statement."""

    table: str
    effect: str  # written | deleted
    seed_file: str
    statement: str


# In this order: stale accents go before the primary flag moves, which goes
# before the accent upsert (see _CLEAR_MOVED_PRIMARY).
SEED_STEPS: tuple[SeedStep, ...] = (
    SeedStep("platform_languages", "written", LANGUAGES_FILE, _UPSERT_LANGUAGES),
    SeedStep("platform_language_accents", "deleted", LANGUAGES_FILE, _DELETE_STALE_ACCENTS),
    SeedStep("platform_language_accents", "written", LANGUAGES_FILE, _CLEAR_MOVED_PRIMARY),
    SeedStep("platform_language_accents", "written", LANGUAGES_FILE, _UPSERT_ACCENTS),
    SeedStep("interview_templates", "written", TEMPLATES_FILE, _UPSERT_TEMPLATES),
)


def seed_data(project: Project) -> dict[str, list[dict[str, object]]]:
    """The seed files' contents, by file name."""
    return {name: load_seed(project.seeds_dir / name) for name in (LANGUAGES_FILE, TEMPLATES_FILE)}


def seed(conn: psycopg.Connection, project: Project) -> SeedResult:
    """Upsert the seed files in one transaction."""
    data = {name: Jsonb(items) for name, items in seed_data(project).items()}
    result = SeedResult()
    try:
        with conn.transaction():
            for step in SEED_STEPS:
                counts = result.written if step.effect == "written" else result.deleted
                rows = conn.execute(step.statement, {"seed": data[step.seed_file]}).rowcount
                counts[step.table] = counts.get(step.table, 0) + rows
    except psycopg.errors.UndefinedTable as exc:
        raise SeedError("the schema is missing: run `interview-db migrate` first") from exc
    except psycopg.Error as exc:
        raise SeedError(f"seed data rejected by the database: {exc.diag.message_primary or exc}") from exc
    return result


_SCRIPT_TABLE = "interview_db_seed"


def seed_script(project: Project) -> str:
    """The seed as one SQL script (for `supabase db push --include-seed`, psql, the SQL editor).

    The same statements as ``seed()``, reading the seed files from a temporary
    table instead of a bound parameter, so a second run writes nothing either.
    """
    lines = [
        "-- Reference data of the interview package: platform languages with their Azure",
        "-- accents, and the global interview templates. Generated by `interview-db",
        "-- export-supabase` from sql/seeds/*.json; do not edit. Upserts that touch only",
        "-- rows whose content differs: running it again changes nothing.",
        "",
        f"drop table if exists pg_temp.{_SCRIPT_TABLE};",
        f"create temporary table {_SCRIPT_TABLE} (file text primary key, data jsonb not null);",
        "",
    ]
    for name, items in seed_data(project).items():
        literal = sql.Literal(json.dumps(items, ensure_ascii=False, indent=2)).as_string(None)
        file = sql.Literal(name).as_string(None)
        lines += [f"insert into pg_temp.{_SCRIPT_TABLE} (file, data) values ({file}, {literal}::jsonb);", ""]
    for step in SEED_STEPS:
        file = sql.Literal(step.seed_file).as_string(None)
        source = f"(select seed_file.data from pg_temp.{_SCRIPT_TABLE} as seed_file where seed_file.file = {file})"
        lines += [f"-- {step.table}: rows {step.effect}", step.statement.strip().replace("%(seed)s", source) + ";", ""]
    lines.append(f"drop table pg_temp.{_SCRIPT_TABLE};")
    return "\n".join(lines) + "\n"
