"""One test per validation rule of api.md: the call answers 422, the message
names the field, details is its path, hint says what is accepted, and nothing
is written."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from .helpers import TestDatabase, User, minimal_body

Body = dict[str, Any]
MISSING = object()


def with_fields(**fields: Any) -> Callable[[Body], Body]:
    def change(body: Body) -> Body:
        for key, value in fields.items():
            if value is MISSING:
                body.pop(key, None)
            else:
                body[key] = value
        return body

    return change


def with_question(index: int = 0, **fields: Any) -> Callable[[Body], Body]:
    def change(body: Body) -> Body:
        questions = [{"question": f"Question {i}?"} for i in range(max(index + 1, 2))]
        questions[index].update({k: v for k, v in fields.items() if v is not MISSING})
        for key, value in fields.items():
            if value is MISSING:
                questions[index].pop(key, None)
        body["questions"] = questions
        return body

    return change


def with_questions(questions: list[Any]) -> Callable[[Body], Body]:
    return with_fields(questions=questions)


REQUIRED = ["name", "location", "interview_template_id", "mojito_language_code", "description", "status", "type",
            "visibility", "questions"]

CASES: list[tuple[str, Callable[[Body], Body], str]] = [
    *[(f"missing {f}", with_fields(**{f: MISSING}), f) for f in REQUIRED],
    *[(f"null {f}", with_fields(**{f: None}), f) for f in REQUIRED],
    # texts
    ("name empty after trim", with_fields(name="   "), "name"),
    ("name over 200", with_fields(name="x" * 201), "name"),
    ("location over 200", with_fields(location="x" * 201), "location"),
    ("location empty", with_fields(location=""), "location"),
    ("description over 20000", with_fields(description="x" * 20001), "description"),
    ("code over 100", with_fields(code="x" * 101), "code"),
    ("interview_department over 200", with_fields(interview_department="x" * 201), "interview_department"),
    ("interview_salary over 200", with_fields(interview_salary="x" * 201), "interview_salary"),
    ("description_long over 100000", with_fields(description_long="x" * 100001), "description_long"),
    ("candidate_expectations over 5000", with_fields(candidate_expectations="x" * 5001), "candidate_expectations"),
    ("instructional_video_custom_text over 2000", with_fields(instructional_video_custom_text="x" * 2001),
     "instructional_video_custom_text"),
    ("welcome_message over 2000", with_fields(welcome_message="x" * 2001), "welcome_message"),
    ("thank_you_message over 2000", with_fields(thank_you_message="x" * 2001), "thank_you_message"),
    ("interview_tone over 200", with_fields(interview_tone="x" * 201), "interview_tone"),
    ("idempotency_key empty", with_fields(idempotency_key=""), "idempotency_key"),
    ("idempotency_key over 200", with_fields(idempotency_key="k" * 201), "idempotency_key"),
    # enums
    ("status", with_fields(status="published"), "status"),
    ("status is case-sensitive", with_fields(status="Active"), "status"),
    ("type", with_fields(type="quiz"), "type"),
    ("visibility", with_fields(visibility="public"), "visibility"),
    ("recording", with_fields(recording="audio"), "recording"),
    ("recording_full_session", with_fields(recording_full_session="audio_first_5_answers"), "recording_full_session"),
    ("interview_type", with_fields(interview_type="pre_screening"), "interview_type"),
    ("seniority_level", with_fields(seniority_level="mid"), "seniority_level"),
    ("result_view", with_fields(result_view="all"), "result_view"),
    ("interview_conversation_speed", with_fields(interview_conversation_speed="fast"), "interview_conversation_speed"),
    ("candidate_video_introduction", with_fields(candidate_video_introduction="yes"), "candidate_video_introduction"),
    # uuids
    ("interview_template_id not a uuid", with_fields(interview_template_id="voice"), "interview_template_id"),
    ("recruiter_profile_id not a uuid", with_fields(recruiter_profile_id="me"), "recruiter_profile_id"),
    ("knowledge_base_store_id not a uuid", with_fields(knowledge_base_store_id="kb-1"), "knowledge_base_store_id"),
    ("merchant_id not a uuid", with_fields(merchant_id="acme"), "merchant_id"),
    # numbers
    ("interview_attempts 0", with_fields(interview_attempts=0), "interview_attempts"),
    ("interview_attempts 21", with_fields(interview_attempts=21), "interview_attempts"),
    ("interview_attempts 1.5", with_fields(interview_attempts=1.5), "interview_attempts"),
    ("questions_random_subset 0", with_fields(questions_random_subset=0), "questions_random_subset"),
    ("questions_random_subset 0.95", with_fields(questions_random_subset=0.95), "questions_random_subset"),
    ("max_followups -1", with_fields(max_followups=-1), "max_followups"),
    ("max_followups 1000", with_fields(max_followups=1000), "max_followups"),
    ("max_followups 2.5", with_fields(max_followups=2.5), "max_followups"),
    # url and date
    ("cover_image_url ftp", with_fields(cover_image_url="ftp://files.example.com/a.png"), "cover_image_url"),
    ("cover_image_url relative", with_fields(cover_image_url="/images/a.png"), "cover_image_url"),
    ("cover_image_url without host", with_fields(cover_image_url="https://"), "cover_image_url"),
    ("cover_image_url with a space in the host", with_fields(cover_image_url="https://exa mple.com/a.png"),
     "cover_image_url"),
    ("cover_image_url over 2048", with_fields(cover_image_url="https://example.com/" + "a" * 2030), "cover_image_url"),
    ("interview_available_till not a date", with_fields(interview_available_till="next week"), "interview_available_till"),
    ("interview_available_till in the past", with_fields(interview_available_till="2020-01-01"), "interview_available_till"),
    ("interview_available_till no such day", with_fields(interview_available_till="2099-02-30"), "interview_available_till"),
    ("interview_available_till no such hour", with_fields(interview_available_till="2099-01-01T25:00:00Z"),
     "interview_available_till"),
    # objects and arrays
    ("hiring_for_company a number", with_fields(hiring_for_company=5), "hiring_for_company"),
    ("hiring_for_company name a number", with_fields(hiring_for_company={"name": 5}), "hiring_for_company.name"),
    ("hiring_for_company name over 200", with_fields(hiring_for_company={"name": "x" * 201}), "hiring_for_company.name"),
    ("tags not an array", with_fields(tags="a,b"), "tags"),
    ("tags with a number", with_fields(tags=["ok", 7]), "tags[1]"),
    ("tags over 200 characters", with_fields(tags=["x" * 201]), "tags[0]"),
    ("tags over 100", with_fields(tags=[f"t{i}" for i in range(101)]), "tags"),
    ("pdf_export_auto_config not boolean", with_fields(pdf_export_auto_config={"transcript": "yes"}),
     "pdf_export_auto_config.transcript"),
    ("pdf_export_auto_config template", with_fields(pdf_export_auto_config={"template": "fancy"}),
     "pdf_export_auto_config.template"),
    ("pdf_export_auto_config not an object", with_fields(pdf_export_auto_config=[True]), "pdf_export_auto_config"),
    ("custom_scoring max_retries 21", with_fields(custom_scoring={"max_retries": 21}), "custom_scoring.max_retries"),
    ("custom_scoring max_score 0", with_fields(custom_scoring={"max_score": 0}), "custom_scoring.max_score"),
    ("custom_scoring max_score 1001", with_fields(custom_scoring={"max_score": 1001}), "custom_scoring.max_score"),
    ("custom_scoring wrong type", with_fields(custom_scoring={"early_stop": "true"}), "custom_scoring.early_stop"),
    ("candidate_expectations_json not an object", with_fields(candidate_expectations_json=["x"]),
     "candidate_expectations_json"),
    ("candidate_expectations_json weak not an array", with_fields(candidate_expectations_json={"weak": "vague"}),
     "candidate_expectations_json.weak"),
    ("candidate_expectations_json item not a text", with_fields(candidate_expectations_json={"strong": ["a", 1]}),
     "candidate_expectations_json.strong[1]"),
    ("additional_context not an object", with_fields(additional_context=[1, 2]), "additional_context"),
    ("additional_context over 64 KiB", with_fields(additional_context={"blob": "x" * 70000}), "additional_context"),
    ("knowledge base needed by process verification",
     with_fields(interview_type="process-verification-from-knowledge-base"), "knowledge_base_store_id"),
    # the questions array
    ("questions not an array", with_fields(questions={"question": "x"}), "questions"),
    ("questions empty", with_questions([]), "questions"),
    ("questions 201", with_questions([f"Q{i}?" for i in range(201)]), "questions"),
    ("question item a number", with_questions(["fine", 5]), "questions[1]"),
    ("question item an empty string", with_questions(["  "]), "questions[0]"),
    ("question item an array", with_questions([["nested"]]), "questions[0]"),
    # each question field
    ("question missing", with_question(1, question=MISSING, label="no text"), "questions[1].question"),
    ("question empty", with_question(0, question="  "), "questions[0].question"),
    ("question over 2000", with_question(0, question="x" * 2001), "questions[0].question"),
    ("question not a text", with_question(0, question=["a"]), "questions[0].question"),
    ("duration 0", with_question(1, duration=0), "questions[1].duration"),
    ("duration 14401", with_question(1, duration=14401), "questions[1].duration"),
    ("duration 14400.5", with_question(0, duration=14400.5), "questions[0].duration"),
    ("duration a string", with_question(0, duration="60"), "questions[0].duration"),
    ("question language shape", with_question(0, mojito_language_code="EN"), "questions[0].mojito_language_code"),
    ("label over 200", with_question(0, label="x" * 201), "questions[0].label"),
    ("is_conditional not boolean", with_question(0, is_conditional="yes"), "questions[0].is_conditional"),
    ("is_expert not boolean", with_question(0, is_expert=1), "questions[0].is_expert"),
    ("is_without_scoring not boolean", with_question(0, is_without_scoring="false"), "questions[0].is_without_scoring"),
    ("is_candidate_asking_recruiter not boolean", with_question(0, is_candidate_asking_recruiter=0),
     "questions[0].is_candidate_asking_recruiter"),
    ("question_alternatives not an array", with_question(0, question_alternatives="a|b"),
     "questions[0].question_alternatives"),
    ("question_alternatives empty text", with_question(0, question_alternatives=["a", ""]),
     "questions[0].question_alternatives[1]"),
    ("question_alternatives over 20", with_question(0, question_alternatives=[f"a{i}" for i in range(21)]),
     "questions[0].question_alternatives"),
    ("multiple choice with one alternative", with_question(0, is_multiple_choice=True, question_alternatives=["only"]),
     "questions[0].question_alternatives"),
    ("multiple choice without alternatives", with_question(1, is_multiple_choice=True),
     "questions[1].question_alternatives"),
    ("knowledge_base_id not a uuid", with_question(0, knowledge_base_id="kb"), "questions[0].knowledge_base_id"),
    ("external_id over 200", with_question(0, external_id="x" * 201), "questions[0].external_id"),
    ("external_data not an object", with_question(0, external_data=[1]), "questions[0].external_data"),
    ("external_data over 16 KiB", with_question(0, external_data={"x": "y" * 17000}), "questions[0].external_data"),
    ("question expectations not arrays", with_question(0, candidate_expectations_json={"weak": 1}),
     "questions[0].candidate_expectations_json.weak"),
    ("id over 200", with_question(0, id="x" * 201), "questions[0].id"),
    ("id not a text", with_question(0, id={"n": 1}), "questions[0].id"),
    # rules between questions
    ("conditional without main id", with_question(1, is_conditional=True), "questions[1].conditional_question_main_id"),
    ("conditional on a later question", with_questions([
        {"id": "a", "question": "A?", "is_conditional": True, "conditional_question_main_id": "b"},
        {"id": "b", "question": "B?"},
    ]), "questions[0].conditional_question_main_id"),
    ("conditional on itself", with_questions([
        {"id": "a", "question": "A?", "is_conditional": True, "conditional_question_main_id": "a"},
    ]), "questions[0].conditional_question_main_id"),
    ("conditional on an unknown id", with_questions([
        {"id": "a", "question": "A?"},
        {"id": "b", "question": "B?", "is_conditional": True, "conditional_question_main_id": "zzz"},
    ]), "questions[1].conditional_question_main_id"),
    ("duplicate id", with_questions([
        {"id": "a", "question": "A?"}, {"id": "b", "question": "B?"}, {"id": "a", "question": "C?"},
    ]), "questions[2].id"),
    ("duplicate external_id", with_questions([
        {"external_id": "e1", "question": "A?"}, {"external_id": "e1", "question": "B?"},
    ]), "questions[1].external_id"),
]


@pytest.mark.parametrize(("change", "path"), [(c, p) for _, c, p in CASES], ids=[i for i, _, _ in CASES])
def test_invalid_field_gets_422_naming_it_and_writes_nothing(
    db: TestDatabase, change: Callable[[Body], Body], path: str
) -> None:
    owner = db.owner()
    before = db.counts()
    response = db.rpc(change(minimal_body()), owner)

    assert response.status == 422, response.body
    assert response.body["code"] == "PT422"
    assert response.body["details"] == path
    field = path.split(".")[-1].split("[")[0] if "." in path else path.split("[")[0]
    assert field in response.body["message"]
    assert response.body["message"].startswith(path) or path in response.body["message"]
    assert response.body["hint"]
    assert db.counts() == before


def test_200_questions_are_accepted(db: TestDatabase) -> None:
    owner = db.owner()
    response = db.rpc(minimal_body(questions=[f"Question number {i}?" for i in range(200)]), owner)
    assert response.status == 200, response.body
    assert response.body["questions_created"] == 200


def test_the_first_problem_is_reported_in_field_order(db: TestDatabase) -> None:
    owner = db.owner()
    response = db.rpc(minimal_body(status="nope", visibility="nope", questions=[{"duration": 1}]), owner)
    assert response.body["details"] == "status"
    assert response.body["hint"] == "one of: draft, active"


class TestReferences:
    """Values of the right shape that do not resolve for the target merchant."""

    @staticmethod
    def assert_rejected(db: TestDatabase, caller: User, body: Body, path: str, words: str) -> None:
        before = db.counts()
        response = db.rpc(body, caller)
        assert response.status == 422, response.body
        assert response.body["details"] == path
        assert words in response.body["message"]
        assert db.counts() == before

    def test_unknown_template(self, db: TestDatabase) -> None:
        body = minimal_body(interview_template_id="00000000-0000-4000-8000-000000000000")
        self.assert_rejected(db, db.owner(), body, "interview_template_id", "not an interview template available")

    def test_inactive_template(self, db: TestDatabase) -> None:
        body = minimal_body()
        db.admin.execute("update public.interview_templates set is_active = false where id = %s",
                         (body["interview_template_id"],))
        self.assert_rejected(db, db.owner(), body, "interview_template_id", "not an interview template available")

    def test_unknown_language(self, db: TestDatabase) -> None:
        self.assert_rejected(db, db.owner(), minimal_body(mojito_language_code="xx"), "mojito_language_code",
                             "is not a platform language")

    def test_language_not_enabled_for_interviews(self, db: TestDatabase) -> None:
        db.admin.execute("update public.platform_languages set interview_interface = false where code = 'bg'")
        self.assert_rejected(db, db.owner(), minimal_body(mojito_language_code="bg"), "mojito_language_code",
                             "not enabled for interviews")

    def test_language_without_azure_accent(self, db: TestDatabase) -> None:
        db.admin.execute("delete from public.platform_language_accents where language_code = 'hr'")
        self.assert_rejected(db, db.owner(), minimal_body(mojito_language_code="hr"), "mojito_language_code",
                             "not enabled for interviews")

    def test_question_language(self, db: TestDatabase) -> None:
        body = minimal_body(questions=["Hi?", {"question": "Hola?", "mojito_language_code": "qq"}])
        self.assert_rejected(db, db.owner(), body, "questions[1].mojito_language_code", "is not a platform language")

    def test_pdf_export_language(self, db: TestDatabase) -> None:
        body = minimal_body(pdf_export_auto_config={"mojito_language_code": "zz"})
        self.assert_rejected(db, db.owner(), body, "pdf_export_auto_config.mojito_language_code",
                             "is not a platform language")

    def test_required_pronunciation_needs_a_capable_language(self, db: TestDatabase) -> None:
        capable = db.admin.execute(
            "select pronunciation_capable from public.platform_languages where code = 'bg'").fetchone()
        assert capable == {"pronunciation_capable": False}
        body = minimal_body(mojito_language_code="bg", required_pronunciation=True)
        self.assert_rejected(db, db.owner(), body, "mojito_language_code", "pronunciation")
        assert db.rpc(minimal_body(required_pronunciation=True), db.owner()).status == 200  # en is capable

    def test_knowledge_base_of_another_merchant(self, db: TestDatabase) -> None:
        foreign_kb = db.knowledge_base(db.merchant())
        self.assert_rejected(db, db.owner(), minimal_body(knowledge_base_store_id=foreign_kb),
                             "knowledge_base_store_id", "not a knowledge base store of this merchant")

    def test_question_knowledge_base_of_another_merchant(self, db: TestDatabase) -> None:
        foreign_kb = db.knowledge_base(db.merchant())
        body = minimal_body(questions=["A?", "B?", {"question": "C?", "knowledge_base_id": foreign_kb}])
        self.assert_rejected(db, db.owner(), body, "questions[2].knowledge_base_id", "not a knowledge base store")

    def test_recruiter_of_another_merchant(self, db: TestDatabase) -> None:
        stranger = db.owner()
        self.assert_rejected(db, db.owner(), minimal_body(recruiter_profile_id=stranger.id), "recruiter_profile_id",
                             "is not a merchant_owner, merchant or admin profile of this merchant")

    def test_recruiter_who_is_a_candidate(self, db: TestDatabase) -> None:
        owner = db.owner()
        candidate = db.user(owner.merchant_id, "candidate")
        self.assert_rejected(db, owner, minimal_body(recruiter_profile_id=candidate.id), "recruiter_profile_id",
                             "is not a merchant_owner, merchant or admin profile")

    def test_coaching_needs_the_coaching_portal(self, db: TestDatabase) -> None:
        self.assert_rejected(db, db.owner(coaching=False), minimal_body(type="coaching"), "type", "coaching portal")
        assert db.rpc(minimal_body(type="coaching"), db.owner(coaching=True)).status == 200


def test_a_body_over_the_size_limit_is_refused_before_any_work(db: TestDatabase) -> None:
    owner = db.owner()
    questions = [{"question": "x" * 1990, "question_alternatives": ["y" * 1990] * 5} for _ in range(200)]
    before = db.counts()
    response = db.rpc(minimal_body(questions=questions), owner)
    assert response.status == 422 and response.body["details"] == "$"
    assert "limit" in response.body["message"]
    assert db.counts() == before


def test_a_string_where_a_boolean_belongs_is_a_422_naming_it_never_a_cast(db: TestDatabase) -> None:
    owner = db.owner()
    before = db.counts()
    for value in ("sometimes", "yes", "on", "1", "true", 1):
        response = db.rpc(minimal_body(is_embedded=value), owner)
        assert response.status == 422 and response.body["code"] == "PT422", (value, response.body)
        assert response.body["details"] == "is_embedded" and "must be true or false" in response.body["message"]
    assert db.counts() == before


def test_a_date_only_available_till_means_the_end_of_that_day(db: TestDatabase) -> None:
    day = date.today() + timedelta(days=10)
    response = db.rpc(minimal_body(interview_available_till=day.isoformat()), db.owner())
    assert response.status == 200, response.body
    stored = db.interview(response.body["interview_def_set_id"])["interview_available_till"]
    assert (stored.year, stored.month, stored.day, stored.hour, stored.minute) == (day.year, day.month, day.day, 23, 59)
