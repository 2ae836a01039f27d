"""Property tests: arbitrary JSON in any field (of the body or of a question)
never gives a status >= 500, and a call that is not 200 writes nothing."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings

from .helpers import TestDatabase
from .strategies import mutated_bodies


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
