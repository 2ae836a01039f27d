"""Property tests: arbitrary JSON in any field (of the body or of a question)
never gives a status >= 500, and a call that is not 200 writes nothing."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .helpers import BODY_FIELDS, QUESTION_FIELDS, TestDatabase, minimal_body

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.sampled_from(["", " ", "draft", "active", "en", "00000000-0000-4000-8000-000000000000", "2999-01-01",
                       "https://x.test/a", "video_all", "true", "1.5", "-0", "1e400", "\u0000", "\u202e"])
)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@st.composite
def mutated_bodies(draw: st.DrawFn) -> dict[str, Any]:
    body = minimal_body(questions=[{"id": "a", "question": "First?"}, {"id": "b", "question": "Second?"}])
    for field in draw(st.lists(st.sampled_from(BODY_FIELDS), max_size=4, unique=True)):
        if draw(st.booleans()):
            body[field] = draw(json_values)
        else:
            body.pop(field, None)
    if isinstance(body.get("questions"), list) and body["questions"] and draw(st.booleans()):
        index = draw(st.integers(0, len(body["questions"]) - 1))
        item = body["questions"][index]
        if isinstance(item, dict):
            for field in draw(st.lists(st.sampled_from(QUESTION_FIELDS), min_size=1, max_size=3, unique=True)):
                item[field] = draw(json_values)
        else:
            body["questions"][index] = draw(json_values)
    return body


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(body=mutated_bodies())
def test_arbitrary_values_never_give_5xx_and_failures_write_nothing(db: TestDatabase, body: dict[str, Any]) -> None:
    if "_owner" not in db.__dict__:  # one tenant for all examples of this test
        db.__dict__["_owner"] = db.owner(coaching=True)
    owner = db.__dict__["_owner"]
    before = db.counts()
    response = db.rpc(body, owner)

    assert response.status < 500, (response.status, response.body, body)
    after = db.counts()
    if response.status == 200 and after == before:
        # an idempotent replay of an earlier example's key and body: it returns that interview
        assert "idempotency_key" in body, (response.body, body)
        db.interview(response.body["interview_def_set_id"])
    elif response.status == 200:
        assert after["public.interview_def_set"] == before["public.interview_def_set"] + 1
    else:
        assert response.status in (400, 401, 403, 404, 409, 422), response
        assert after == before, (response.body, body)
