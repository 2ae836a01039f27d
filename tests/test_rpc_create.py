"""Creating interviews through the PostgREST-faithful caller: the stored set,
its question records and its ordered steps match the request."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from .helpers import AVATAR_VOICE_TEMPLATE, VOICE_TEMPLATE, TestDatabase, example_body, minimal_body


def test_minimal_body_creates_a_draft_with_welcome_question_and_thank_you(db: TestDatabase) -> None:
    owner = db.owner()
    response = db.rpc(minimal_body(), owner)

    assert response.status == 200, response.body
    assert set(response.body) == {"interview_def_set_id", "questions_created", "credits_per_session"}
    assert response.body["questions_created"] == 1
    assert response.body["credits_per_session"] == 1
    interview = db.interview(response.body["interview_def_set_id"])
    assert interview["merchant_id"] == owner.merchant_id and interview["created_by"] == owner.id
    assert interview["status"] == "draft" and interview["activated_at"] is None
    assert interview["interview_type"] == "pre-screening"
    assert interview["interview_tone"] == "relaxed"
    assert interview["interview_conversation_speed"] == "normal"  # the template's default
    assert interview["max_followups"] == 2  # the template's default
    assert interview["scoring_config"]["max_retries"] == 1
    assert interview["is_embedded"] is False
    steps = db.steps(response.body["interview_def_set_id"])
    assert [(s["position"], s["kind"], s["is_default"]) for s in steps] == [
        (1, "welcome", True),
        (2, "question", False),
        (3, "thank_you", True),
    ]
    assert steps[0]["text"].startswith("Hello and welcome")  # the template's welcome text
    assert steps[1]["question"] == "Tell us about yourself."
    assert steps[2]["text"].startswith("Thank you for your time")


def test_example_body_is_published_with_its_steps_in_order(db: TestDatabase) -> None:
    owner = db.owner()
    body = example_body()
    before = datetime.now(timezone.utc)
    response = db.rpc(body, owner)

    assert response.status == 200, response.body
    assert response.body["questions_created"] == 7
    assert response.body["credits_per_session"] == 1.4  # voice 1 + full-session video 0.4
    interview = db.interview(response.body["interview_def_set_id"])
    assert interview["status"] == "active" and interview["activated_at"] >= before - timedelta(seconds=5)
    assert interview["recording_full_session"] == "video_all" and interview["recording"] is None
    assert interview["interview_tone"] == "professional"
    assert interview["seniority_level"] == "managerial" and interview["seniority_detected"] is True
    assert interview["scoring_config"]["max_retries"] == 2
    assert interview["tags"] == ["project management", "remote"]
    assert interview["creation_parameters"]["hiring_for_company"]["name"] == "Acme Corp"
    steps = db.steps(response.body["interview_def_set_id"])
    questions = [q if isinstance(q, str) else q["question"] for q in body["questions"]]
    assert [s["kind"] for s in steps] == ["welcome"] + ["question"] * 7 + ["thank_you"]
    assert [s["position"] for s in steps] == list(range(1, 10))
    assert [s["question"] for s in steps[1:-1]] == questions
    # q4 is conditional on q3, which stands at position 4
    assert steps[4]["caller_question_id"] == "q4"
    assert steps[4]["is_conditional"] is True and steps[4]["conditional_on_position"] == 4
    assert steps[1]["duration"] == 180 and steps[5]["label"] == "Tooling"
    assert steps[7]["external_id"] == "crm-why-us"


def test_questions_as_plain_strings_and_objects_mix(db: TestDatabase) -> None:
    owner = db.owner()
    body = minimal_body(questions=["  First, as a string.  ", {"question": "Second, as an object.", "duration": 60}])
    response = db.rpc(body, owner)

    assert response.status == 200, response.body
    steps = db.steps(response.body["interview_def_set_id"])
    assert [s["question"] for s in steps if s["kind"] == "question"] == ["First, as a string.", "Second, as an object."]
    assert steps[2]["duration"] == 60 and steps[1]["duration"] is None


def test_every_field_is_stored_where_it_belongs(db: TestDatabase) -> None:
    owner = db.owner(coaching=True)
    kb = db.knowledge_base(owner.merchant_id)  # type: ignore[arg-type]
    recruiter = db.user(owner.merchant_id, "merchant")
    till = (datetime.now(timezone.utc) + timedelta(days=30)).replace(microsecond=0)
    body = {
        "name": "  Head of Data  ",
        "location": "Berlin",
        "interview_template_id": AVATAR_VOICE_TEMPLATE,
        "mojito_language_code": "de",
        "description": "Leads the data team.",
        "status": "active",
        "type": "coaching",
        "visibility": "merchant_invite",
        "questions": [
            {
                "id": "a",
                "question": "Wie führen Sie ein Team?",
                "duration": 240,
                "label": "Leadership",
                "is_without_scoring": True,
                "is_expert": True,
                "external_id": "ext-1",
                "external_data": {"source": "ats", "weight": 2},
                "knowledge_base_id": kb,
                "candidate_expectations_json": {"strong": ["Names concrete rituals"], "notes": "kept"},
                "unknown_question_key": "ignored",
            },
            {
                "id": "b",
                "question": "Which option fits you best?",
                "mojito_language_code": "en",
                "is_multiple_choice": True,
                "question_alternatives": [" Option A ", "Option B"],
                "is_conditional": True,
                "conditional_question_main_id": "a",
                "is_candidate_asking_recruiter": True,
            },
        ],
        "recording": "audio_first_5_answers",
        "recording_full_session": "audio_all",
        "interview_type": "process-verification-from-knowledge-base",
        "seniority_level": "director",
        "result_view": "full_expand_scores",
        "interview_conversation_speed": "faster",
        "candidate_video_introduction": "required",
        "interview_tone": "  PERSUASIVE ",
        "interview_attempts": 3,
        "questions_random_subset": 0.5,
        "max_followups": 0,
        "code": "JOB-42",
        "cover_image_url": "https://cdn.example.com/cover.png?size=large",
        "interview_department": "Data",
        "interview_salary": "100k-120k EUR",
        "interview_available_till": till.isoformat().replace("+00:00", "Z"),
        "recruiter_profile_id": recruiter.id,
        "hiring_for_company": "Globex",
        "tags": ["data", " leadership ", "data"],
        "required_pronunciation": True,
        "result_enable_edit_transcript": False,
        "pdf_export_auto_config": {"transcript": True, "analytics": False, "mojito_language_code": "de", "template": "modern"},
        "knowledge_base_store_id": kb,
        "merchant_id": owner.merchant_id,
        "description_long": "# The role\n\nYou lead **everything** data.",
        "candidate_expectations": "Has led teams of 5+.",
        "candidate_expectations_json": {"strong": ["Built a data platform"], "extra": {"kept": True}},
        "custom_scoring": {"max_score": 10, "early_stop": True},
        "additional_context": {"team_size": 7},
        "instructional_video": True,
        "instructional_video_custom_text": "Watch this first.",
        "disable_deduplication": False,
        "welcome_message": "Willkommen!",
        "thank_you_message": "Danke!",
        "is_embedded": True,
        "idempotency_key": "every-field-1",
    }
    response = db.rpc(body, owner)

    assert response.status == 200, response.body
    assert set(response.body) == {
        "interview_def_set_id", "questions_created", "credits_per_session", "embed_id", "embed_signing_key", "warnings",
    }
    assert response.body["warnings"] == [{
        "path": "questions[0].unknown_question_key", "code": "ignored_key",
        "message": "questions[0].unknown_question_key is not a question field and was ignored"}]
    # avatar+voice 2.5 + cheating audio 0.1 + full-session audio 0.2 = 2.8; (240 + 150 s) x 0.5 -> x1
    assert response.body["credits_per_session"] == 2.8
    s = db.interview(response.body["interview_def_set_id"])
    assert (s["name"], s["location"], s["type"], s["visibility"]) == ("Head of Data", "Berlin", "coaching", "merchant_invite")
    assert (s["recording"], s["recording_full_session"]) == ("audio_first_5_answers", "audio_all")
    assert s["interview_type"] == "process-verification-from-knowledge-base"
    assert (s["seniority_level"], s["seniority_detected"]) == ("director", False)
    assert (s["result_view"], s["interview_conversation_speed"]) == ("full_expand_scores", "faster")
    assert (s["candidate_video_introduction"], s["interview_tone"]) == ("required", "persuasive")
    assert s["scoring_config"] == {
        "max_score": 10, "early_stop": True, "speech_cadence": True, "ai_pronunciation": False,
        "sentiment_analysis": True, "ai_assessment_answer": True, "ai_assessment_resume": True,
        "ai_assessment_session": True, "max_retries": 3,
    }
    assert s["questions_random_subset"] == Decimal("0.50") and s["max_followups"] == 0
    assert (s["code"], s["interview_department"], s["interview_salary"]) == ("JOB-42", "Data", "100k-120k EUR")
    assert s["cover_image_url"] == "https://cdn.example.com/cover.png?size=large"
    assert s["interview_available_till"] == till
    assert str(s["recruiter_profile_id"]) == recruiter.id and str(s["knowledge_base_store_id"]) == kb
    assert s["tags"] == ["data", "leadership"]
    assert s["required_pronunciation"] is True and s["result_enable_edit_transcript"] is False
    assert s["pdf_export_auto_config"] == {"transcript": True, "analytics": False, "mojito_language_code": "de", "template": "modern"}
    assert s["description_long"] == "# The role\n\nYou lead **everything** data."
    assert s["candidate_expectations"] == "Has led teams of 5+."
    assert s["candidate_expectations_json"] == {"strong": ["Built a data platform"], "extra": {"kept": True}}
    assert s["candidate_expectations_generated"] is False
    assert s["instructional_video"] is True and s["instructional_video_custom_text"] == "Watch this first."
    assert s["is_embedded"] is True
    assert s["creation_parameters"]["hiring_for_company"] == {"name": "Globex"}
    assert s["creation_parameters"]["additional_context"] == {"team_size": 7}
    steps = db.steps(response.body["interview_def_set_id"])
    assert [(st["position"], st["kind"]) for st in steps] == [
        (1, "welcome"), (2, "instructional_video"), (3, "question"), (4, "question"), (5, "thank_you"),
    ]
    assert (steps[0]["text"], steps[1]["text"], steps[4]["text"]) == ("Willkommen!", "Watch this first.", "Danke!")
    first, second = steps[2], steps[3]
    assert (first["question"], first["mojito_language_code"], first["duration"], first["label"]) == (
        "Wie führen Sie ein Team?", "de", 240, "Leadership")
    assert first["is_without_scoring"] and first["is_expert"] and first["external_id"] == "ext-1"
    assert first["external_data"] == {"source": "ats", "weight": 2} and str(first["knowledge_base_id"]) == kb
    assert first["candidate_expectations_json"] == {"strong": ["Names concrete rituals"], "notes": "kept"}
    assert (second["mojito_language_code"], second["question_alternatives"]) == ("en", ["Option A", "Option B"])
    assert second["is_multiple_choice"] and second["is_candidate_asking_recruiter"]
    assert second["is_conditional"] and second["conditional_on_position"] == 3
    events = db.outbox(response.body["interview_def_set_id"])
    assert [e["event_type"] for e in events] == ["interview.created"]  # expectations were given
    assert "embed_signing_key" not in events[0]["payload"]


def test_template_defaults_fill_what_the_request_leaves_out(db: TestDatabase) -> None:
    owner = db.owner()
    response = db.rpc(minimal_body(interview_template_id=AVATAR_VOICE_TEMPLATE, welcome_message="   "), owner)

    assert response.status == 200, response.body
    interview = db.interview(response.body["interview_def_set_id"])
    assert interview["max_followups"] == 3 and interview["interview_conversation_speed"] == "normal"
    assert interview["scoring_config"]["ai_assessment_resume"] is True  # the template's override
    steps = db.steps(response.body["interview_def_set_id"])
    assert steps[0]["text"].startswith("Hi, and welcome to your video interview")


def test_a_failed_call_writes_nothing(db: TestDatabase) -> None:
    owner = db.owner()
    before = db.counts()
    response = db.rpc(minimal_body(questions=[{"question": "ok"}, {"question": "bad", "duration": 0}]), owner)

    assert response.status == 422
    assert db.counts() == before


def test_template_of_another_merchant_is_not_usable(db: TestDatabase) -> None:
    owner, other = db.owner(), db.owner()
    template = db.admin.execute(
        "insert into public.interview_templates (name, merchant_id, kind, base_credit, default_welcome_message, "
        "default_thank_you_message) values ('Private', %s, 'voice', 1, 'Hi', 'Bye') returning id",
        (other.merchant_id,),
    ).fetchone()["id"]  # type: ignore[index]

    assert db.rpc(minimal_body(interview_template_id=str(template)), other).status == 200
    response = db.rpc(minimal_body(interview_template_id=str(template)), owner)
    assert response.status == 422 and response.body["details"] == "interview_template_id"


def test_default_template_id_is_the_voice_template() -> None:
    assert VOICE_TEMPLATE.endswith("0001")
