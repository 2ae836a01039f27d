"""interview-db seed: reference data upserted; a second run changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from interview_db.migrations import migrate
from interview_db.project import Project
from interview_db.seeds import SeedError, seed

from .helpers import copy_project

SNAPSHOT = """
select (select jsonb_agg(l order by l.code) from public.platform_languages as l)
    || (select jsonb_agg(a order by a.language_code, a.locale) from public.platform_language_accents as a)
    || (select jsonb_agg(t order by t.id) from (select id, name, kind, base_credit, default_welcome_message,
          default_thank_you_message, default_max_followups, default_conversation_speed,
          default_answer_duration_seconds, scoring_overrides, is_active from public.interview_templates) as t)
"""
CODES = ("ar bg zh hr cs da nl en fil fi fr de el hi hu id it ja ko ms no pl pt br ro ru sk es sv ta th tr uk vi").split()


@pytest.fixture
def deployed(empty_db: str, project: Project) -> str:
    migrate(empty_db, project)
    return empty_db


def test_seed_twice_gives_identical_tables_and_writes_nothing_the_second_time(deployed: str, project: Project) -> None:
    with psycopg.connect(deployed, autocommit=True) as conn:
        first = seed(conn, project)
        snapshot = conn.execute(SNAPSHOT).fetchone()[0]
        xmins = conn.execute("select array_agg(xmin::text order by code) from public.platform_languages").fetchone()
        second = seed(conn, project)

        assert first.changed and not second.changed
        assert conn.execute(SNAPSHOT).fetchone()[0] == snapshot
        assert conn.execute("select array_agg(xmin::text order by code) from public.platform_languages").fetchone() == xmins


def test_all_34_languages_with_an_azure_locale(deployed: str, project: Project) -> None:
    with psycopg.connect(deployed, autocommit=True) as conn:
        seed(conn, project)
        codes = [r[0] for r in conn.execute("select code from public.platform_languages order by sort_order")]
        assert codes == CODES
        primaries = dict(conn.execute(
            "select language_code, locale from public.platform_language_accents where is_primary").fetchall())
        assert set(primaries) == set(CODES)
        assert (primaries["br"], primaries["pt"], primaries["no"], primaries["fil"]) == ("pt-BR", "pt-PT", "nb-NO", "fil-PH")
        incomplete = conn.execute("""
            select code from public.platform_languages
            where not interview_interface or name_local = '' or flag_emoji = ''
        """).fetchall()
        assert incomplete == []


def test_templates_of_each_kind_are_present(deployed: str, project: Project) -> None:
    with psycopg.connect(deployed, autocommit=True) as conn:
        seed(conn, project)
        kinds = dict(conn.execute("select kind::text, min(base_credit)::float from public.interview_templates group by kind"))
        assert kinds == {"non_interactive_avatar": 0.35, "voice": 1.0, "avatar_and_voice": 2.5, "text": 0.2}


def test_seed_updates_changed_rows_and_drops_removed_accents(deployed: str, project: Project, tmp_path: Path) -> None:
    copy = copy_project(project, tmp_path)
    with psycopg.connect(deployed, autocommit=True) as conn:
        seed(conn, copy)
        languages = json.loads((copy.seeds_dir / "platform-languages.json").read_text())
        en = next(lang for lang in languages if lang["code"] == "en")
        en["name_local"] = "English (changed)"
        en["azure_accents"] = [dict(en["azure_accents"][1], primary=True)]  # en-GB becomes the only, primary accent
        (copy.seeds_dir / "platform-languages.json").write_text(json.dumps(languages))

        result = seed(conn, copy)
        assert result.written["platform_languages"] == 1
        assert result.deleted["platform_language_accents"] == len(
            [lang for lang in json.loads((project.seeds_dir / "platform-languages.json").read_text())
             if lang["code"] == "en"][0]["azure_accents"]) - 1
        assert conn.execute(
            "select locale, is_primary from public.platform_language_accents where language_code = 'en'"
        ).fetchall() == [("en-GB", True)]


def test_seed_before_migrate_is_a_clear_error(empty_db: str, project: Project) -> None:
    with psycopg.connect(empty_db, autocommit=True) as conn, pytest.raises(SeedError, match="run `interview-db migrate`"):
        seed(conn, project)
