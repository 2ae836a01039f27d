"""Every file generated from the rule table ``interview_private.request_field_rules()``,
regenerated (``interview-db generate --write``) and checked (``--check``) together.

The rule table is the one list of the create request's fields. What repeats it is
generated from it and checked in, compared byte for byte by ``--check`` and the
tests: the RPC's named signature (``rpc_signature``), the validation's quick check
(``quick_check``), the parsed request's type (``request_type``, in sql/types), the
parse of the plain texts (``parse_texts``), the OpenAPI
document (``openapi``) and the TypeScript types made from that document
(``typescript``). One deployed database gives them all.
"""

from __future__ import annotations

import json
from pathlib import Path

import psycopg

from . import parse_texts, quick_check, request_type, rpc_signature
from .field_rules import read_rules
from .openapi import generate as generate_openapi
from .project import Project
from .typescript import build as build_typescript
from .typescript import types_file


def generate_all(conn: psycopg.Connection, project: Project) -> dict[Path, str]:
    """Each generated file's path and its text, from the database ``conn`` is connected
    to (autocommit, idle; the rule table deployed from ``project``)."""
    rules = read_rules(conn)
    document = generate_openapi(conn, project)
    source = project.openapi_file.relative_to(project.root).as_posix()
    return {
        rpc_signature.path(project): rpc_signature.generate(rules),
        quick_check.path(project): quick_check.generate(rules),
        request_type.path(project): request_type.generate(rules, request_type.enum_types(conn)),
        parse_texts.path(project): parse_texts.generate(rules, request_type.text_attributes(rules)),
        project.openapi_file: document,
        types_file(project): build_typescript(json.loads(document), source),
    }


def out_of_date(project: Project, generated: dict[Path, str]) -> list[Path]:
    """The generated files whose checked-in text differs (or that are missing)."""
    return [path for path, text in generated.items()
            if (path.read_text(encoding="utf-8") if path.exists() else None) != text]
