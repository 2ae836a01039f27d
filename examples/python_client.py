"""Create an interview through PostgREST from Python, with the standard library only.

    SUPABASE_URL=https://<ref>.supabase.co SUPABASE_ANON_KEY=... ACCESS_TOKEN=<a user's JWT> \
        python examples/python_client.py

With supabase-py the same call is:
    supabase.rpc("job_interview_create_from_array", body).execute()
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path


def create_interview(base_url: str, api_key: str, access_token: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{base_url.rstrip('/')}/rest/v1/rpc/job_interview_create_from_array",
        data=json.dumps(body).encode("utf-8"),
        method="POST",
        headers={
            "apikey": api_key,
            "Authorization": f"Bearer {access_token}",
            "Content-Type": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:  # 4xx: {code, message, details, hint}
        return error.code, json.loads(error.read() or b"{}")


if __name__ == "__main__":
    body = json.loads((Path(__file__).parent / "create-interview.json").read_text(encoding="utf-8"))
    status, payload = create_interview(
        os.environ["SUPABASE_URL"], os.environ["SUPABASE_ANON_KEY"], os.environ["ACCESS_TOKEN"], body
    )
    print(status, json.dumps(payload, indent=2))
    sys.exit(0 if status == 200 else 1)
