"""The examples stay true to the API: they parse, send the shared body and name the right endpoint."""

from __future__ import annotations

import json
import py_compile
import shutil
import subprocess

import pytest

from .helpers import EXAMPLES, TestDatabase, example_body


def test_the_example_body_is_accepted_as_is(db: TestDatabase) -> None:
    response = db.rpc(example_body(), db.owner())
    assert response.status == 200, response.body


def test_every_client_sends_the_shared_body_to_the_rpc() -> None:
    for name in ("curl.sh", "supabase-js.mjs", "python_client.py"):
        text = (EXAMPLES / name).read_text()
        assert "job_interview_create_from_array" in text and "create-interview.json" in text, name
    assert "/rest/v1/rpc/job_interview_create_from_array" in (EXAMPLES / "curl.sh").read_text()
    assert json.loads((EXAMPLES / "create-interview.json").read_text())["name"] == "Project manager"


def test_the_snippets_parse() -> None:
    py_compile.compile(str(EXAMPLES / "python_client.py"), doraise=True)
    py_compile.compile(str(EXAMPLES / "sign_embed_token.py"), doraise=True)
    subprocess.run(["bash", "-n", str(EXAMPLES / "curl.sh")], check=True)
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the JavaScript example is not syntax-checked")
    subprocess.run([node, "--check", str(EXAMPLES / "supabase-js.mjs")], check=True)
    subprocess.run([node, "--check", str(EXAMPLES / "sign-embed-token.mjs")], check=True)


def test_the_examples_readme_lists_every_snippet_and_no_removed_function() -> None:
    readme = (EXAMPLES / "README.md").read_text()
    for name in ("curl.sh", "supabase-js.mjs", "python_client.py", "sign_embed_token.py", "sign-embed-token.mjs"):
        assert f"]({name})" in readme, name
    assert "verify_embed_token" in readme and "verify_embed_signature" not in readme


def test_the_examples_readme_lists_every_example() -> None:
    listing = (EXAMPLES / "README.md").read_text()
    unlisted = [p.name for p in sorted(EXAMPLES.iterdir()) if p.is_file() and p.name != "README.md" and f"(`{p.name}`)" not in listing
                and f"[`{p.name}`]" not in listing]
    assert not unlisted, f"examples/README.md does not list {unlisted}"
