"""Hypothesis strategies of request bodies, shared by the property tests."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from .helpers import BODY_FIELDS, QUESTION_FIELDS, minimal_body

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
