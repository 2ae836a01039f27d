"""Bodies that real clients of the existing API send, through the PostgREST-faithful
caller: accepted, stored as sent, and what was ignored or adjusted named in the
response's warnings (api.md: "Lenient where the existing API is silent", Response,
Unknown keys, Scoring, Deduplication)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from .helpers import TestDatabase, User, minimal_body


@pytest.fixture
def owner(db: TestDatabase) -> User:
    return db.owner()


def created(db: TestDatabase, owner: User, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    response = db.rpc(body, owner)
    assert response.status == 200, response.body
    return response.body, db.interview(response.body["interview_def_set_id"])


# -- a body that needs no warning gets none ----------------------------------------


def test_a_body_that_needs_no_warning_is_answered_without_the_key(db: TestDatabase, owner: User) -> None:
    body = minimal_body(tags=["sales", "remote"], cover_image_url="https://cdn.example.com/a.png",
                        questions=[{"question": "Why us?", "duration": 90, "external_id": "x1"}],
                        custom_scoring={"max_score": 10}, pdf_export_auto_config={"files": True})
    response, _ = created(db, owner, body)
    assert "warnings" not in response


# -- date-times ------------------------------------------------------------------


@pytest.mark.parametrize("fraction", ["1234567", "123456789", "1", "5"])
def test_date_times_with_any_number_of_fraction_digits_are_stored_to_the_microsecond(
    db: TestDatabase, owner: User, fraction: str
) -> None:
    year = datetime.now(timezone.utc).year + 2
    sent = f"{year}-06-30T12:34:56.{fraction}Z"
    _, stored = created(db, owner, minimal_body(interview_available_till=sent))
    micro = round(Decimal("0." + fraction), 6)
    expected = datetime(year, 6, 30, 12, 34, 56, tzinfo=timezone.utc) + timedelta(microseconds=int(micro * 1_000_000))
    assert stored["interview_available_till"] == expected


def test_a_dotnet_round_trip_date_time_with_an_offset_is_accepted(db: TestDatabase, owner: User) -> None:
    year = datetime.now(timezone.utc).year + 1
    _, stored = created(db, owner, minimal_body(interview_available_till=f"{year}-01-15T08:00:00.1234567+02:00"))
    assert stored["interview_available_till"] == datetime(year, 1, 15, 6, 0, 0, 123457, tzinfo=timezone.utc)


def test_a_past_date_time_with_many_fraction_digits_is_still_a_422(db: TestDatabase, owner: User) -> None:
    response = db.rpc(minimal_body(interview_available_till="2001-01-01T00:00:00.123456789Z"), owner)
    assert (response.status, response.body["details"]) == (422, "interview_available_till")


# -- cover_image_url -------------------------------------------------------------


def test_an_empty_cover_image_url_is_absent(db: TestDatabase, owner: User) -> None:
    response, stored = created(db, owner, minimal_body(cover_image_url=""))
    assert stored["cover_image_url"] is None and "warnings" not in response


@pytest.mark.parametrize("url", [
    "https://cdn.example.com/images/my cover.png",
    "https://cdn.example.com/bilder/bürogebäude.jpg",
    "https://bücher.example/cover.png?size=large&x=ä b",
])
def test_a_url_as_a_cms_hands_it_out_is_stored_as_sent(db: TestDatabase, owner: User, url: str) -> None:
    _, stored = created(db, owner, minimal_body(cover_image_url=url))
    assert stored["cover_image_url"] == url


@pytest.mark.parametrize("url", ["ftp://example.com/a.png", "https:///no-host.png", "cover.png"])
def test_a_url_without_http_or_a_host_is_still_a_422(db: TestDatabase, owner: User, url: str) -> None:
    response = db.rpc(minimal_body(cover_image_url=url), owner)
    assert (response.status, response.body["details"]) == (422, "cover_image_url")


# -- empty items -----------------------------------------------------------------


def test_empty_tags_after_a_split_are_dropped_with_a_warning(db: TestDatabase, owner: User) -> None:
    response, stored = created(db, owner, minimal_body(tags="sales, remote,".split(",")))
    assert stored["tags"] == ["sales", "remote"]
    assert response["warnings"] == [
        {"path": "tags[2]", "code": "dropped_empty_item", "message": "tags[2] is empty and was dropped"}]


def test_an_empty_bullet_of_an_expectations_list_is_dropped_with_a_warning(db: TestDatabase, owner: User) -> None:
    expectations = {"strong": ["Names trade-offs", " ", "Measures first"], "weak": ["Vague"], "notes": "kept"}
    body = minimal_body(candidate_expectations_json=expectations,
                        questions=[{"question": "Design a cache.",
                                    "candidate_expectations_json": {"moderate": ["", "Knows LRU"]}}])
    response, stored = created(db, owner, body)
    assert stored["candidate_expectations_json"] == {
        "strong": ["Names trade-offs", "Measures first"], "weak": ["Vague"], "notes": "kept"}
    step = db.steps(response["interview_def_set_id"])[1]
    assert step["candidate_expectations_json"] == {"moderate": ["Knows LRU"]}
    assert [(w["path"], w["code"]) for w in response["warnings"]] == [  # body order: questions stands first
        ("questions[0].candidate_expectations_json.moderate[0]", "dropped_empty_item"),
        ("candidate_expectations_json.strong[1]", "dropped_empty_item"),
    ]


def test_an_empty_question_alternative_is_still_a_422(db: TestDatabase, owner: User) -> None:
    body = minimal_body(questions=[{"question": "Pick one.", "question_alternatives": ["A", ""]}])
    response = db.rpc(body, owner)
    assert (response.status, response.body["details"]) == (422, "questions[0].question_alternatives[1]")


# -- keys of the client's own model in question objects ---------------------------


def test_keys_of_the_clients_model_in_a_question_are_ignored_and_named(db: TestDatabase, owner: User) -> None:
    question = {"_id": "65f0c0ffee", "uid": 17, "level": "senior", "isExpert": True, "externalId": "A-1",
                "clientRef": "crm-9", "question": "What did you ship last?", "duration": 120}
    response, _ = created(db, owner, minimal_body(questions=[question]))
    step = db.steps(response["interview_def_set_id"])[1]
    assert (step["question"], step["duration"], step["is_expert"]) == ("What did you ship last?", 120, False)
    warnings = {w["path"]: w for w in response["warnings"]}
    assert set(warnings) == {f"questions[0].{k}" for k in ("_id", "uid", "level", "isExpert", "externalId", "clientRef")}
    assert all(w["code"] == "ignored_key" for w in warnings.values())
    assert warnings["questions[0].isExpert"]["suggestion"] == "is_expert"
    assert warnings["questions[0].externalId"]["suggestion"] == "external_id"
    assert "suggestion" not in warnings["questions[0].clientRef"]


@pytest.mark.parametrize(("typo", "field"), [("duraton", "duration"), ("lable", "label"), ("questoin_id", None)])
def test_a_near_miss_in_a_question_is_ignored_with_its_suggestion(
    db: TestDatabase, owner: User, typo: str, field: str | None
) -> None:
    response, _ = created(db, owner, minimal_body(questions=["First?", {"question": "Second?", typo: 60}]))
    [warning] = response["warnings"]
    assert (warning["path"], warning["code"]) == (f"questions[1].{typo}", "ignored_key")
    assert warning.get("suggestion") == field
    step = db.steps(response["interview_def_set_id"])[2]
    assert step["duration"] is None and step["label"] is None  # an ignored key sets nothing


# -- top-level keys from a sibling endpoint or a stored model ---------------------


def test_unknown_top_level_keys_create_the_interview_from_the_known_keys(db: TestDatabase, owner: User) -> None:
    body = {"created_at": "2024-01-01T00:00:00Z", **minimal_body(), "include_rapport_question": True,
            "interview_length": 20, "nmae": "x"}
    response, stored = created(db, owner, body)
    assert stored["name"] == "Backend developer"
    assert [(w["path"], w["code"], w.get("suggestion")) for w in response["warnings"]] == [
        ("created_at", "ignored_key", None),
        ("include_rapport_question", "ignored_key", None),
        ("interview_length", "ignored_key", None),
        ("nmae", "ignored_key", "name"),
    ]  # in the order the body sent them


def test_a_typo_of_a_required_field_is_the_422_of_the_missing_field_with_the_suggestion(
    db: TestDatabase, owner: User
) -> None:
    body = minimal_body()
    body["nmae"] = body.pop("name")
    before = db.counts()
    response = db.rpc(body, owner)
    assert (response.status, response.body["details"]) == (422, "name")
    assert "did you mean name? (nmae was sent" in response.body["hint"]
    assert db.counts() == before


def test_an_idempotent_call_with_unknown_keys_compares_the_whole_body(db: TestDatabase, owner: User) -> None:
    body = minimal_body(idempotency_key="sync-1", legacy_id=7)
    first = db.rpc(body, owner)
    assert first.status == 200 and first.body["warnings"][0]["path"] == "legacy_id"
    assert db.rpc(body, owner).body == first.body
    assert db.rpc({**body, "legacy_id": 8}, owner).status == 409


# -- custom_scoring and pdf_export_auto_config ---------------------------------------


def test_max_retries_in_custom_scoring_overrides_interview_attempts(db: TestDatabase, owner: User) -> None:
    response, stored = created(db, owner, minimal_body(interview_attempts=2, custom_scoring={"max_retries": 5}))
    assert stored["scoring_config"]["max_retries"] == 5 and "warnings" not in response
    _, stored = created(db, owner, minimal_body(interview_attempts=2))
    assert stored["scoring_config"]["max_retries"] == 2


@pytest.mark.parametrize("value", [0, 21, 2.5, "3"])
def test_max_retries_out_of_range_or_of_the_wrong_type_is_a_422(db: TestDatabase, owner: User, value: Any) -> None:
    response = db.rpc(minimal_body(custom_scoring={"max_retries": value}), owner)
    assert (response.status, response.body["details"]) == (422, "custom_scoring.max_retries")


def test_extra_keys_of_scoring_and_pdf_export_are_ignored_and_named(db: TestDatabase, owner: User) -> None:
    body = minimal_body(custom_scoring={"max_score": 50, "weighting": "even", "max_scor": 3},
                        pdf_export_auto_config={"files": True, "watermark": "draft"})
    response, stored = created(db, owner, body)
    assert stored["scoring_config"]["max_score"] == 50
    assert "weighting" not in stored["scoring_config"] and "max_scor" not in stored["scoring_config"]
    assert stored["pdf_export_auto_config"] == {"files": True, "template": "classic"}
    assert [(w["path"], w.get("suggestion")) for w in response["warnings"]] == [
        ("pdf_export_auto_config.watermark", None),
        ("custom_scoring.max_scor", "max_score"),
        ("custom_scoring.weighting", None),
    ]


# -- limits the existing API does not state ------------------------------------------


def test_a_key_named_like_the_rule_for_other_keys_is_ignored_like_any_other(db: TestDatabase, owner: User) -> None:
    response, stored = created(db, owner, minimal_body(custom_scoring={"*": "junk"}))
    assert "*" not in stored["scoring_config"]
    assert [w["path"] for w in response["warnings"]] == ["custom_scoring.*"]


def test_a_pasted_about_us_and_other_company_keys_are_kept(db: TestDatabase, owner: User) -> None:
    about = "We build things. " * 1000  # 17,000 characters
    company = {"name": "Acme", "description": about, "website": " https://acme.example ", "founded": 1999}
    response, stored = created(db, owner, minimal_body(hiring_for_company=company))
    assert stored["creation_parameters"]["hiring_for_company"] == {
        "name": "Acme", "description": about.strip(), "website": " https://acme.example ", "founded": 1999}
    assert "warnings" not in response


def test_a_company_description_past_20000_is_a_422(db: TestDatabase, owner: User) -> None:
    response = db.rpc(minimal_body(hiring_for_company={"description": "x" * 20001}), owner)
    assert (response.status, response.body["details"]) == (422, "hiring_for_company.description")


def test_100_tags_of_200_characters_are_accepted_and_101_are_refused(db: TestDatabase, owner: User) -> None:
    tags = [f"{i:03d}" + "t" * 197 for i in range(100)]
    _, stored = created(db, owner, minimal_body(tags=tags))
    assert stored["tags"] == tags
    assert db.rpc(minimal_body(tags=[*tags, "one more"]), owner).status == 422
    assert db.rpc(minimal_body(tags=["t" * 201]), owner).status == 422


@pytest.mark.parametrize("duration", [5, 7200, 14400, 1])
def test_question_durations_from_a_second_to_four_hours_are_stored(
    db: TestDatabase, owner: User, duration: int
) -> None:
    response, _ = created(db, owner, minimal_body(questions=[{"question": "Q?", "duration": duration}]))
    assert db.steps(response["interview_def_set_id"])[1]["duration"] == duration and "warnings" not in response


def test_200_questions_of_four_hours_are_priced_without_overflow(db: TestDatabase, owner: User) -> None:
    body = minimal_body(recording="video_all", recording_full_session="video_all",
                        questions=[{"question": f"Q{i}?", "duration": 14400} for i in range(200)])
    response, stored = created(db, owner, body)
    assert response["credits_per_session"] == stored["credits_per_session"] == Decimal("3960")  # 1.65 x 2400


def test_a_fractional_duration_is_rounded_up_with_a_warning(db: TestDatabase, owner: User) -> None:
    response, _ = created(db, owner, minimal_body(questions=[{"question": "Q?", "duration": 45.5}]))
    assert db.steps(response["interview_def_set_id"])[1]["duration"] == 46
    assert response["warnings"] == [{"path": "questions[0].duration", "code": "rounded",
                                     "message": "questions[0].duration was rounded up to a whole second, from 45.5 to 46"}]


@pytest.mark.parametrize("duration", [0, -1, 14400.5, 14401])
def test_a_duration_of_zero_or_past_four_hours_is_a_422(db: TestDatabase, owner: User, duration: float) -> None:
    response = db.rpc(minimal_body(questions=[{"question": "Q?", "duration": duration}]), owner)
    assert (response.status, response.body["details"]) == (422, "questions[0].duration")


@pytest.mark.parametrize("fraction", [Decimal("0.333"), Decimal("0.01"), Decimal("0.125")])
def test_questions_random_subset_is_stored_exactly(db: TestDatabase, owner: User, fraction: Decimal) -> None:
    _, stored = created(db, owner, minimal_body(questions_random_subset=float(fraction)))
    assert stored["questions_random_subset"] == fraction


# -- warnings: order and bound ----------------------------------------------------


def test_at_most_50_warnings_are_listed_then_one_truncated(db: TestDatabase, owner: User) -> None:
    questions = [{"question": f"Question {i}?", "uid": i, "rank": i} for i in range(30)]
    response, _ = created(db, owner, minimal_body(questions=questions))
    warnings = response["warnings"]
    assert len(warnings) == 51
    assert [w["path"] for w in warnings[:4]] == ["questions[0].rank", "questions[0].uid",
                                                 "questions[1].rank", "questions[1].uid"]
    assert warnings[-1] == {"path": "$", "code": "truncated", "message": "10 more warnings are not listed"}
    assert len(db.steps(response["interview_def_set_id"])) == 32  # every question stored


# -- deduplication across calls ----------------------------------------------------


@pytest.mark.parametrize(("first", "second"), [
    ("tell us about yourself.", "Tell us about yourself."),
    ("Tell us  about yourself.", "Tell us about yourself."),
])
def test_a_corrected_question_makes_a_new_record_and_shows_the_text_sent(
    db: TestDatabase, owner: User, first: str, second: str
) -> None:
    one, _ = created(db, owner, minimal_body(questions=[first]))
    two, _ = created(db, owner, minimal_body(questions=[second]))
    step_one = db.steps(one["interview_def_set_id"])[1]
    step_two = db.steps(two["interview_def_set_id"])[1]
    assert (step_one["question"], step_two["question"]) == (first, second)
    assert step_one["question_id"] != step_two["question_id"]


def test_an_identical_question_reuses_the_merchants_record(db: TestDatabase, owner: User) -> None:
    one, _ = created(db, owner, minimal_body(questions=["  Why this role?  "]))
    two, _ = created(db, owner, minimal_body(questions=["Why this role?"]))
    assert db.steps(one["interview_def_set_id"])[1]["question_id"] == db.steps(two["interview_def_set_id"])[1]["question_id"]


def test_within_one_array_the_normalised_duplicates_are_one_step_with_the_first_text(
    db: TestDatabase, owner: User
) -> None:
    response, _ = created(db, owner, minimal_body(questions=["Why this role?", "why  this role?"]))
    assert response["questions_created"] == 1
    assert db.steps(response["interview_def_set_id"])[1]["question"] == "Why this role?"


def test_records_keyed_before_the_migration_are_left_as_they_are(db: TestDatabase, owner: User) -> None:
    one, _ = created(db, owner, minimal_body(questions=["Old text?"]))
    record = db.steps(one["interview_def_set_id"])[1]["question_id"]
    # a record keyed the earlier way: the hash of its case-folded content
    db.admin.execute(
        """
        update public.interview_def_question as q
        set question = 'Old Text?',
            dedup_key = md5(row(lower('Old Text?'), q.mojito_language_code, q.is_without_scoring,
                                q.is_candidate_asking_recruiter, q.is_expert, q.is_multiple_choice, q.duration,
                                q.label, q.question_alternatives, q.knowledge_base_id, q.external_id,
                                q.external_data, q.candidate_expectations_json)::text)::uuid
        where q.id = %s
        """, (record,))
    two, _ = created(db, owner, minimal_body(questions=["old text?"]))
    step = db.steps(two["interview_def_set_id"])[1]
    assert step["question"] == "old text?" and step["question_id"] != record
    kept = db.admin.execute("select question from public.interview_def_question where id = %s", (record,)).fetchone()
    assert kept["question"] == "Old Text?"
