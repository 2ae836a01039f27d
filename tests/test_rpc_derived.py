"""What the RPC derives: deduplicated questions, tone, seniority, credits,
scoring, generated expectations and outbox events."""

from __future__ import annotations

import itertools

import psycopg
import pytest

from interview_db.postgrest import call_rpc_in_transaction

from .helpers import AVATAR_VOICE_TEMPLATE, NON_INTERACTIVE_TEMPLATE, RPC, TestDatabase, minimal_body

# -- deduplication -----------------------------------------------------------


def question_ids(db: TestDatabase, set_id: str) -> list[str]:
    return [s["question_id"] for s in db.steps(set_id) if s["kind"] == "question"]


def test_identical_questions_in_one_array_become_one_step(db: TestDatabase) -> None:
    owner = db.owner()
    body = minimal_body(questions=[
        {"id": "a", "question": "Why  this   job?"},
        "What do you know about us?",
        {"id": "b", "question": "  why this JOB? "},
        {"id": "c", "question": "Why this job?", "duration": 60},  # another duration: another record
        {"id": "d", "question": "Follow-up on b", "is_conditional": True, "conditional_question_main_id": "b"},
    ])
    response = db.rpc(body, owner)

    assert response.status == 200, response.body
    assert response.body["questions_created"] == 4
    steps = [s for s in db.steps(response.body["interview_def_set_id"]) if s["kind"] == "question"]
    assert [s["question"] for s in steps] == ["Why  this   job?", "What do you know about us?", "Why this job?",
                                              "Follow-up on b"]
    assert [s["position"] for s in steps] == [2, 3, 4, 5]
    # b merged into a: the conditional link follows the surviving step a (position 2)
    assert steps[3]["is_conditional"] and steps[3]["conditional_on_position"] == 2
    assert db.admin.execute("select count(*) as n from public.interview_def_question").fetchone()["n"] == 4


@pytest.mark.parametrize("variant", ["Why this job?", "why  this job?", "Why\tthis job?", "Why this\njob?",
                                     "Why \r\n this JOB?", "WHY THIS JOB?", "Why this\x0bjob?",
                                     "Why\x0c this job?"])
def test_whitespace_and_case_variants_share_one_record(db: TestDatabase, variant: str) -> None:
    # within one array the normalised content groups the items (whitespace collapsed only where
    # there is some to collapse): every variant shares the first item's record, keyed by its exact text
    owner = db.owner()
    response = db.rpc(minimal_body(questions=["Why this job?", variant, "Why this  job ?"]), owner)
    assert response.status == 200, response.body
    ids = question_ids(db, response.body["interview_def_set_id"])
    assert len(ids) == 2 and ids[1] != ids[0]  # "job ?" is another text
    keys = db.admin.execute(
        "select md5(row('v2', %s::text, 'en', false, false, false, false, null::integer, "
        "null::text, '{}'::text[], null::uuid, null::text, null::jsonb, null::jsonb)::text)::uuid::text as key",
        ("Why this job?",),
    ).fetchone()["key"]
    stored = db.admin.execute("select dedup_key::text as key from public.interview_def_question where id = %s",
                              (ids[0],)).fetchone()["key"]
    assert stored == keys


def test_a_merchant_reuses_its_identical_question_records(db: TestDatabase) -> None:
    owner = db.owner()
    first = db.rpc(minimal_body(questions=["Tell us about a failure.", "Why us?"]), owner)
    second = db.rpc(minimal_body(questions=["Why us?", "A brand new question?", "tell us about a failure."]), owner)

    assert first.status == second.status == 200
    first_ids, second_ids = question_ids(db, first.body["interview_def_set_id"]), question_ids(
        db, second.body["interview_def_set_id"])
    assert second_ids[0] == first_ids[1]  # reused: identical
    assert second_ids[1] not in first_ids
    assert second_ids[2] not in first_ids  # another capital letter: a record of its own
    # another merchant never shares records
    other = db.rpc(minimal_body(questions=["Why us?"]), db.owner())
    assert question_ids(db, other.body["interview_def_set_id"])[0] not in first_ids


def test_a_record_committed_after_a_repeatable_read_snapshot_ends_the_call_with_409(db: TestDatabase) -> None:
    """The records are written by a plain INSERT and, on a unique violation, again without the keys
    the merchant has: a caller whose snapshot cannot see the record that violates (repeatable read,
    taken before it was committed) finds no new key, and the violation stands, a 409 (where ON
    CONFLICT raised a serialization failure, a 500), instead of inserting again for ever."""
    owner = db.owner()
    body = minimal_body(questions=["Why us?", "A question of its own?"])
    with psycopg.connect(db.api_url) as late:
        late.execute("set transaction isolation level repeatable read")
        late.execute("select 1")  # the snapshot, before the other call commits
        first = db.rpc(minimal_body(questions=["Why us?"]), owner)
        assert first.status == 200
        response = call_rpc_in_transaction(late, RPC, body, owner.claims)
    assert response.status == 409, response.body
    assert db.counts()["public.interview_def_set"] == 1 and db.counts()["public.interview_def_question"] == 1


def test_a_request_of_reused_and_new_records_keeps_every_item_in_order(db: TestDatabase) -> None:
    """After the violation, the reused records are looked up and the new ones inserted: every item
    gets its record, in item order, each new question stored once."""
    owner = db.owner()
    first = db.rpc(minimal_body(questions=["One?", "Three?"]), owner)
    second = db.rpc(minimal_body(questions=["New A?", "One?", "New B?", "Three?", "New C?"]), owner)
    assert first.status == second.status == 200
    first_ids = question_ids(db, first.body["interview_def_set_id"])
    second_ids = question_ids(db, second.body["interview_def_set_id"])
    assert [second_ids[1], second_ids[3]] == first_ids
    assert len(set(second_ids)) == 5 and db.counts()["public.interview_def_question"] == 5


def test_a_conditional_duplicate_keeps_its_own_step_but_shares_the_record(db: TestDatabase) -> None:
    body = minimal_body(questions=[
        {"id": "a", "question": "Do you manage people?"},
        {"id": "b", "question": "How many?", "is_conditional": True, "conditional_question_main_id": "a"},
        {"id": "c", "question": "How many?"},
    ])
    response = db.rpc(body, db.owner())
    assert response.body["questions_created"] == 3
    ids = question_ids(db, response.body["interview_def_set_id"])
    assert ids[1] == ids[2]


def test_disable_deduplication_gives_every_item_its_own_record_and_step(db: TestDatabase) -> None:
    owner = db.owner()
    questions = ["Same question?", "same   QUESTION?", "Same question?"]
    first = db.rpc(minimal_body(questions=questions, disable_deduplication=True), owner)
    again = db.rpc(minimal_body(questions=questions, disable_deduplication=True), owner)

    assert first.body["questions_created"] == again.body["questions_created"] == 3
    ids = question_ids(db, first.body["interview_def_set_id"]) + question_ids(db, again.body["interview_def_set_id"])
    assert len(set(ids)) == 6
    assert db.interview(first.body["interview_def_set_id"])["creation_parameters"]["disable_deduplication"] is True


# -- tone and seniority --------------------------------------------------------


@pytest.mark.parametrize(("given", "stored"), [
    (None, "relaxed"), ("relaxed", "relaxed"), ("simple", "simple"), ("professional", "professional"),
    ("persuasive", "persuasive"), ("  Professional ", "professional"), ("SIMPLE", "simple"),
    ("friendly", "relaxed"), ("", "relaxed"),
])
def test_tone_is_normalised(db: TestDatabase, given: str | None, stored: str) -> None:
    body = minimal_body() if given is None else minimal_body(interview_tone=given)
    response = db.rpc(body, db.owner())
    assert response.status == 200, response.body
    assert db.interview(response.body["interview_def_set_id"])["interview_tone"] == stored


SENIORITY = [
    ({"name": "Chief Technology Officer"}, "executive"),
    ({"name": "VP of Sales"}, "executive"),
    ({"name": "CFO"}, "executive"),
    ({"name": "Director of Engineering"}, "director"),
    ({"name": "Head of People"}, "director"),
    ({"name": "Project manager"}, "managerial"),
    ({"name": "Team Lead, Payments"}, "managerial"),
    ({"name": "Senior Backend Developer"}, "senior"),
    ({"name": "Staff Engineer"}, "senior"),
    ({"name": "Principal Designer"}, "senior"),
    ({"name": "Junior Accountant"}, "entry-level"),
    ({"name": "Marketing Intern"}, "entry-level"),
    ({"name": "Graduate Analyst"}, "entry-level"),
    ({"name": "Backend Developer"}, "intermediate"),
    ({"name": "Leadership coach"}, "intermediate"),  # whole words only: "lead" is not "leadership"
    ({"name": "Developer", "description": "You will report to the director."}, "director"),
    ({"name": "Senior developer", "description": "Reporting to the Chief Executive."}, "senior"),  # name first
    ({"name": "Developer", "description": "Build things.", "description_long": "An **entry-level** role."},
     "entry-level"),
]


@pytest.mark.parametrize(("texts", "level"), SENIORITY, ids=[t["name"] for t, _ in SENIORITY])
def test_seniority_is_detected_by_the_keyword_rules(db: TestDatabase, texts: dict[str, str], level: str) -> None:
    response = db.rpc(minimal_body(**texts), db.owner())
    stored = db.interview(response.body["interview_def_set_id"])
    assert (stored["seniority_level"], stored["seniority_detected"]) == (level, True)


def test_given_seniority_is_kept(db: TestDatabase) -> None:
    response = db.rpc(minimal_body(name="Junior developer", seniority_level="senior"), db.owner())
    stored = db.interview(response.body["interview_def_set_id"])
    assert (stored["seniority_level"], stored["seniority_detected"]) == ("senior", False)


# -- credits -------------------------------------------------------------------

CHEATING = {None: 0, "audio_first_5_answers": 0.1, "audio_all": 0.1, "video_first_5_answers": 0.25, "video_all": 0.25}
FULL_SESSION = {None: 0, "audio_all": 0.2, "video_all": 0.4}


@pytest.mark.parametrize(("recording", "full_session"), list(itertools.product(CHEATING, FULL_SESSION)))
def test_credits_for_every_recording_combination(db: TestDatabase, recording: str | None, full_session: str | None) -> None:
    body = minimal_body(interview_template_id=NON_INTERACTIVE_TEMPLATE)  # base credit 0.35
    if recording:
        body["recording"] = recording
    if full_session:
        body["recording_full_session"] = full_session
    response = db.rpc(body, db.owner())
    expected = round(0.35 + CHEATING[recording] + FULL_SESSION[full_session], 2)
    assert response.body["credits_per_session"] == pytest.approx(expected)
    assert float(db.interview(response.body["interview_def_set_id"])["credits_per_session"]) == pytest.approx(expected)


@pytest.mark.parametrize(("durations", "subset", "multiplier"), [
    ([1200], None, 1),                  # exactly 20 minutes
    ([1200, 10], None, 2),              # just over
    ([600] * 4, None, 2),               # 40 minutes
    ([600] * 5, None, 3),
    ([600] * 4, 0.5, 1),                # half of 40 minutes asked
    ([None] * 10, None, 1),             # 10 x the template's 120 s = 20 minutes
    ([None] * 11, None, 2),
])
def test_the_duration_multiplier_counts_started_20_minutes(
    db: TestDatabase, durations: list[int | None], subset: float | None, multiplier: int
) -> None:
    questions = [{"question": f"Q{i}?", **({"duration": d} if d else {})} for i, d in enumerate(durations)]
    body = minimal_body(questions=questions, recording="video_all")  # voice 1 + 0.25
    if subset:
        body["questions_random_subset"] = subset
    response = db.rpc(body, db.owner())
    assert response.body["credits_per_session"] == pytest.approx(1.25 * multiplier)


# -- scoring -------------------------------------------------------------------


def test_scoring_merges_defaults_template_and_custom_scoring(db: TestDatabase) -> None:
    body = minimal_body(
        interview_template_id=AVATAR_VOICE_TEMPLATE,  # overrides ai_assessment_resume: true
        custom_scoring={"max_score": 40, "sentiment_analysis": False, "ai_assessment_resume": False},
        interview_attempts=4,
    )
    response = db.rpc(body, db.owner())
    assert db.interview(response.body["interview_def_set_id"])["scoring_config"] == {
        "max_score": 40, "early_stop": False, "speech_cadence": True, "ai_pronunciation": False,
        "sentiment_analysis": False, "ai_assessment_answer": True, "ai_assessment_resume": False,
        "ai_assessment_session": True, "max_retries": 4,
    }


def test_template_scoring_applies_without_custom_scoring(db: TestDatabase) -> None:
    response = db.rpc(minimal_body(interview_template_id=NON_INTERACTIVE_TEMPLATE), db.owner())
    scoring = db.interview(response.body["interview_def_set_id"])["scoring_config"]
    assert scoring["speech_cadence"] is False and scoring["sentiment_analysis"] is False
    assert scoring["max_score"] == 100 and scoring["max_retries"] == 1


# -- expectations and events ---------------------------------------------------


def test_expectations_are_generated_for_interviews_and_requested_from_the_ai_worker(db: TestDatabase) -> None:
    body = minimal_body(
        name="Senior Data Engineer",
        additional_context={"stack": ["spark", "dbt"]},
        questions=[
            {"question": "Design a pipeline.", "candidate_expectations_json": {"strong": ["Mentions idempotency"]}},
            {"question": "Tell us about on-call.", "candidate_expectations_json": {
                "strong": ["Mentions idempotency", "Has run incidents"], "weak": ["Blames others"]}},
        ],
    )
    response = db.rpc(body, db.owner())
    stored = db.interview(response.body["interview_def_set_id"])

    assert stored["candidate_expectations_generated"] is True
    expectations = stored["candidate_expectations_json"]
    assert expectations["generated"] is True and expectations["seniority_level"] == "senior"
    assert expectations["role"] == "Senior Data Engineer"
    assert expectations["strong"][1:] == ["Mentions idempotency", "Has run incidents"]
    assert expectations["weak"][1:] == ["Blames others"] and len(expectations["moderate"]) == 1
    assert "Senior Data Engineer" in expectations["moderate"][0]
    events = db.outbox(response.body["interview_def_set_id"])
    assert [e["event_type"] for e in events] == ["interview.created", "interview.expectations_requested"]
    assert events[1]["payload"]["additional_context"] == {"stack": ["spark", "dbt"]}
    assert events[0]["payload"]["interview_def_set_id"] == response.body["interview_def_set_id"]


@pytest.mark.parametrize("kind", ["assessment", "coaching"])
def test_no_expectations_are_generated_for_other_types(db: TestDatabase, kind: str) -> None:
    response = db.rpc(minimal_body(type=kind), db.owner(coaching=True))
    stored = db.interview(response.body["interview_def_set_id"])
    assert stored["candidate_expectations_json"] is None and stored["candidate_expectations_generated"] is False
    assert [e["event_type"] for e in db.outbox(response.body["interview_def_set_id"])] == ["interview.created"]


def test_given_expectations_are_stored_as_given(db: TestDatabase) -> None:
    given = {"weak": ["a"], "moderate": [], "strong": ["c"], "x-extra": 1}
    response = db.rpc(minimal_body(candidate_expectations_json=given), db.owner())
    stored = db.interview(response.body["interview_def_set_id"])
    assert stored["candidate_expectations_json"] == given and stored["candidate_expectations_generated"] is False
