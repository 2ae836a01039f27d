"""The quick check of a create request: ``interview_private.passes_field_rules(jsonb)``,
generated from the rule table ``interview_private.request_field_rules()``.

The validation's walk of the rule table (``interview_private.first_invalid_field``)
turns every value of the body into a row and joins it to its rule: it finds the
first invalid field and says why, at a cost of a few microseconds per value and
about half a millisecond for its plan. A valid body, which is nearly every body,
needs no message. The quick check is the same rules written out field by field, so
a valid body costs a lookup or two per field: the body's own fields as one constant
jsonpath predicate (types, enums, ranges, patterns: PostgreSQL parses it once
per session with the expression's plan, where a PL/pgSQL expression of the same
checks is compiled again in every transaction, which cost more than running it),
and as PL/pgSQL what a jsonpath cannot say (the length of a text, the size of an
object), what it says slowly (the body's keys: one ``jsonb - text[]``, where a
jsonpath filter compared every key with every field and its ``keyvalue()``
copied every value, the questions too) and the questions, in a loop (per item a
PL/pgSQL expression is cheaper than a jsonpath filter). It is only a filter:
``true`` means every field passes its rule; ``false`` means one may not (or the
body has something the quick check does not judge, such as a key that is not a
field), and the validation then walks
the rule table for the first invalid field and its message. So the quick check
must never pass a body that the walk refuses, which the tests check against every
refusal they know and against generated bodies.

The function is written to ``sql/functions/`` and checked in; ``interview-db
quick-check --check`` (and a test) regenerate it and compare, so it cannot drift
from the rules. Written here rather than by dynamic SQL at deploy time: the
conventions allow dynamic SQL only where it is unavoidable, and a checked-in
file is linted, reviewed and diffed like every other function.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

from .field_rules import FieldRule
from .project import Project

FUNCTION = "interview_private.passes_field_rules"
FILE_NAME = f"{FUNCTION}.sql"
BLANK = "c_blank"


def path(project: Project) -> Path:
    return project.functions_dir / FILE_NAME


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _text_array(items: list[str]) -> str:
    return _literal("{" + ",".join('"' + i.replace("\\", "\\\\").replace('"', '\\"') + '"' for i in items) + "}") + "::text[]"


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)


def _bounds(expression: str, low: object, high: object) -> list[str]:
    """Bounds as the walk applies them: a null bound is no bound."""
    if low is not None and high is not None:
        return [f"{expression} between {low} and {high}"]
    if low is not None:
        return [f"{expression} >= {low}"]
    if high is not None:
        return [f"{expression} <= {high}"]
    return []


def _text_length(text: str, trimmed: bool) -> str:
    return f"pg_catalog.char_length(pg_catalog.btrim({text}, {BLANK}))" if trimmed else f"pg_catalog.char_length({text})"


def _all(checks: list[str]) -> str:
    return " and ".join(checks) if checks else "true"


# -- the body's own fields as one jsonpath predicate -------------------------------

NON_BLANK = r"[^ \t\r\n]"  # a character that trimming keeps
EDGE_BLANK = r"^[ \t\r\n]|[ \t\r\n]$"  # a character that trimming removes, at either end


def _string(text: str) -> str:
    """A jsonpath string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _matches(value: str, pattern: str) -> str:
    # flag "s": . and [^...] match a line break too, as with the ~ operator
    return f'{value} like_regex {_string(pattern)} flag "s"'


def _path_and(checks: list[str], indent: str) -> str:
    return f"\n{indent}&& ".join(checks)


def _path_bounds(value: str, low: object, high: object) -> list[str]:
    """Bounds as the walk applies them: a null bound is no bound."""
    return ([] if low is None else [f"{value} >= {low}"]) + ([] if high is None else [f"{value} <= {high}"])


@dataclass
class ArrayLoop:
    """An array whose items are checked one by one, after the expression that checked
    its type and length."""

    value: str  # the array, as a SQL expression
    item: str  # the rule of an item, on v_item


@dataclass
class Generator:
    rules: list[FieldRule]
    scopes: dict[str, list[FieldRule]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for rule in sorted(self.rules, key=lambda r: (r.scope, r.ordinal)):
            self.scopes.setdefault(rule.scope, []).append(rule)
        self._check_walk_shape()

    def _check_walk_shape(self) -> None:
        """The quick check must never pass what the walk refuses, so it checks no more
        than the walk does: the walk (interview_private.first_invalid_field) knows the
        questions by the body field "questions" of scope "question", nested objects of
        the body by their rules, and in a question only candidate_expectations_json (scope
        candidate_expectations). Rules of another shape need the walk taught first."""
        if "body" not in self.scopes:
            raise ValueError("request_field_rules() has no body scope")
        questions = [r for r in self._fields("body") if r.kind == "questions"]
        if [(r.field, r.nested_scope) for r in questions] != [("questions", "question")]:
            raise ValueError("request_field_rules(): the walk knows one questions field, body.questions of scope "
                             "question")
        if not any(r.field == "question" for r in self._fields("question")):
            raise ValueError("request_field_rules(): a question has no field question")
        for rule in self.rules:
            if rule.nested_scope is None or rule.scope == "body":
                continue
            if (rule.scope, rule.field, rule.nested_scope) != ("question", "candidate_expectations_json",
                                                               "candidate_expectations"):
                raise ValueError(f"request_field_rules(): the walk does not check the nested scope of "
                                 f"{rule.scope}.{rule.field}; teach interview_private.first_invalid_field first")

    def _fields(self, scope: str) -> list[FieldRule]:
        return [r for r in self.scopes.get(scope, []) if r.field != "*"]

    def _others(self, scope: str) -> FieldRule | None:
        return next((r for r in self.scopes.get(scope, []) if r.field == "*"), None)

    def keys(self, scope: str, obj: str) -> str | None:
        """The test that the JSON object ``obj`` holds no key but the scope's fields, when
        the scope is closed or ignores other keys (any other key, even a null one, is for
        the walk to judge: refused, or named in a warning); None when it is open."""
        if self._others(scope) is None:
            return None
        return f"({obj} - {_text_array([r.field for r in self._fields(scope)])}) = '{{}}'::jsonb"

    def scope(self, scope: str, obj: str, indent: str, loops: list[ArrayLoop]) -> str:
        """Every rule of a scope on the JSON object ``obj``, as one expression; the
        items of its arrays go to ``loops``."""
        keys = self.keys(scope, obj)
        checks = [] if keys is None else [keys]
        for rule in self._fields(scope):
            value = f"{obj} -> {_literal(rule.field)}"
            text = f"({obj} ->> {_literal(rule.field)})"
            checks.append(self.field(rule, value, text, indent, loops))
        return f"\n{indent}and ".join(checks)

    def field(self, rule: FieldRule, value: str, text: str, indent: str, loops: list[ArrayLoop]) -> str:
        """One field's rule on its JSON value: a JSON null is an absent key."""
        inner = indent + "  "
        branches = [f"when 'null' then {'false' if rule.required else 'true'}"]
        for json_type, check in self.kind(rule, value, text, inner, loops):
            branches.append(f"when '{json_type}' then {check}")
        body = f"\n{inner}".join(branches)
        return (f"case coalesce(pg_catalog.jsonb_typeof({value}), 'null')  -- {rule.field}\n"
                f"{inner}{body}\n{inner}else false end")

    def kind(self, rule: FieldRule, value: str, text: str, indent: str,
             loops: list[ArrayLoop]) -> list[tuple[str, str]]:
        kind = rule.kind
        if kind == "text":
            checks = _bounds(_text_length(text, rule.trimmed is True), rule.min_length, rule.max_length)
            if rule.pattern is not None:
                # on the text as the walk measures it; an empty optional text is absent
                measured = f"pg_catalog.btrim({text}, {BLANK})" if rule.trimmed else text
                checks.append(f"({measured} = '' or {measured} ~ {_literal(rule.pattern)})")
            return [("string", _all(checks))]
        if kind == "enum":
            return [("string", f"{text} = any ({_text_array(list(rule.allowed or []))})")]
        if kind in ("uuid", "language", "datetime"):
            return [("string", f"{text} ~ {_literal(rule.pattern or '')}")]
        if kind == "seconds":
            # a fraction is rounded up with a warning: for the walk
            checks = [f"({value})::numeric % 1 = 0"]
            if rule.min_value is not None:
                checks.append(f"({value})::numeric > {_number(rule.min_value)}")
            checks += _bounds(f"({value})::numeric", None, None if rule.max_value is None else _number(rule.max_value))
            return [("number", _all(checks))]
        if kind in ("integer", "number"):
            checks = [f"({value})::numeric % 1 = 0"] if kind == "integer" else []
            checks += _bounds(f"({value})::numeric", None if rule.min_value is None else _number(rule.min_value),
                              None if rule.max_value is None else _number(rule.max_value))
            return [("number", _all(checks))]
        if kind == "boolean":
            return [("boolean", "true")]
        if kind == "object":
            checks = [] if rule.max_length is None else [f"pg_catalog.pg_column_size({value}) <= {rule.max_length}"]
            if rule.nested_scope:
                checks.append(self.scope(rule.nested_scope, f"({value})", indent + "  ", loops))
            return [("object", _all(checks))]
        if kind == "company":
            nested = self.scope(rule.nested_scope, f"({value})", indent + "  ", loops) if rule.nested_scope else "true"
            return [("object", nested),
                    ("string", _all(_bounds(_text_length(text, True), None, rule.max_length)))]
        if kind == "string_array":
            # an empty item is refused or dropped with a warning: either way for the walk
            item = _all(_bounds(_text_length("v_item #>> '{}'", True), max(1, rule.min_length or 0), rule.max_length))
            loops.append(ArrayLoop(value, f"pg_catalog.jsonb_typeof(v_item) = 'string' and {item}"))
            return [("array", _all(_bounds(f"pg_catalog.jsonb_array_length({value})", None, rule.max_items)))]
        if kind == "questions":
            return [("array", _all(_bounds(f"pg_catalog.jsonb_array_length({value})", 1, rule.max_items)))]
        raise ValueError(f"request_field_rules(): field {rule.scope}.{rule.field} has a kind the quick check "
                         f"does not know: {kind}")

    def questions(self) -> tuple[FieldRule, str, list[ArrayLoop]]:
        """The questions field, the rule of one item on v_question (an object, or a plain
        string that is the question text) and the arrays inside an item."""
        rule = next(r for r in self._fields("body") if r.kind == "questions")
        scope = "question"  # (the walk's shape, checked above)
        question = next(r for r in self._fields(scope) if r.field == "question")
        # a plain string is {"question": <it>}, and never blank (whatever the rule)
        loops: list[ArrayLoop] = []
        [(_, text_check)] = self.kind(question, "v_question", "(v_question #>> '{}')", "", loops)
        others_required = any(r.required for r in self._fields(scope) if r.field != "question")
        string_item = "false" if others_required else (
            f"pg_catalog.btrim(v_question #>> '{{}}', {BLANK}) <> '' and {text_check}")
        indent = " " * 10
        obj = self.scope(scope, "v_question", indent + "  ", loops)
        check = (f"case pg_catalog.jsonb_typeof(v_question)\n"
                 f"{indent}when 'string' then {string_item}\n"
                 f"{indent}when 'object' then {obj}\n"
                 f"{indent}else false end")
        return rule, check, loops

    # -- the body's own fields, as a jsonpath predicate (lax mode: every check comes
    # after its value's type check, and && stops at the first false, so none compares
    # values of different types and no filter sees an array for its items); what it
    # cannot measure goes to ``measured`` as SQL, the items of arrays to ``loops``

    def path_scope(self, scope: str, obj: str, sql_obj: str, indent: str, measured: list[str],
                   loops: list[ArrayLoop], keys_checked: bool = False) -> list[str]:
        """Every rule of a scope on the JSON object ``obj`` as jsonpath checks; with
        ``keys_checked`` the caller has checked its keys already (the body's, in SQL)."""
        checks = []
        if self._others(scope) is not None and not keys_checked:
            # closed or ignored: any other key, even a null one, is for the walk to judge
            # (refused, or named in a warning)
            others = " && ".join(f"@.key != {_string(r.field)}" for r in self._fields(scope))
            checks.append(f"!exists({obj}.keyvalue() ? ({others}))")
        for rule in self._fields(scope):
            value = f"{obj}.{_string(rule.field)}"
            sql_value = f"{sql_obj} -> {_literal(rule.field)}"
            sql_text = f"({sql_obj} ->> {_literal(rule.field)})"
            checks.append(self.path_field(rule, value, sql_value, sql_text, indent, measured, loops))
        return checks

    def path_field(self, rule: FieldRule, value: str, sql_value: str, sql_text: str, indent: str,
                   measured: list[str], loops: list[ArrayLoop]) -> str:
        """One field's rule on its JSON value: a JSON null is an absent key."""
        inner = indent + "   "
        branches = []
        for json_type, checks in self.path_kind(rule, value, sql_value, sql_text, inner, measured, loops):
            typed = f"{value}.type() == {_string(json_type)}"
            branches.append(f"({_path_and([typed, *checks], inner)})" if checks else typed)
        if not rule.required:
            branches = [f"!exists({value})", f'{value}.type() == "null"', *branches]
        return "(" + " || ".join(branches) + ")" if len(branches) > 1 else branches[0]

    def path_text(self, rule: FieldRule, value: str, sql_value: str, sql_text: str, measured: list[str],
                  max_length: int | None) -> list[str]:
        trimmed = rule.trimmed is True
        checks = []
        if rule.min_length is not None and rule.min_length > 1:
            raise ValueError(f"request_field_rules(): the quick check measures a minimal length of at most 1 "
                             f"({rule.scope}.{rule.field})")
        if rule.min_length == 1:
            checks.append(_matches(value, NON_BLANK) if trimmed else f'{value} != ""')
        if max_length is not None:
            length = f"{_text_length(sql_text, trimmed)} <= {max_length}"
            # (a company may be an object, whose ->> is its JSON text)
            measured.append(f"pg_catalog.jsonb_typeof({sql_value}) <> 'string' or {length}" if rule.kind == "company"
                            else length)
        if rule.pattern is not None:
            if rule.trimmed:
                # on the text as the walk measures it, trimmed (a blank one is absent):
                # a text with something to trim goes to the walk
                checks.append(f"(!({_matches(value, NON_BLANK)}) || ({_matches(value, rule.pattern)} "
                              f"&& !({_matches(value, EDGE_BLANK)})))")
            else:
                checks.append(f'({value} == "" || {_matches(value, rule.pattern)})')
        return checks

    def path_kind(self, rule: FieldRule, value: str, sql_value: str, sql_text: str, indent: str,
                  measured: list[str], loops: list[ArrayLoop]) -> list[tuple[str, list[str]]]:
        kind = rule.kind
        if kind == "text":
            return [("string", self.path_text(rule, value, sql_value, sql_text, measured, rule.max_length))]
        if kind == "enum":
            return [("string", ["(" + " || ".join(f"{value} == {_string(a)}" for a in rule.allowed or []) + ")"])]
        if kind in ("uuid", "language", "datetime"):
            return [("string", [_matches(value, rule.pattern or "")])]
        if kind in ("integer", "number", "seconds"):
            # seconds: a fraction is rounded up with a warning, for the walk
            checks = [f"{value} % 1 == 0"] if kind != "number" else []
            low = None if rule.min_value is None else _number(rule.min_value)
            if kind == "seconds" and low is not None:
                checks.append(f"{value} > {low}")
                low = None
            checks += _path_bounds(value, low, None if rule.max_value is None else _number(rule.max_value))
            return [("number", checks)]
        if kind == "boolean":
            return [("boolean", [])]
        if kind == "object":
            if rule.max_length is not None:
                measured.append(f"pg_catalog.pg_column_size({sql_value}) <= {rule.max_length}")
            nested = (self.path_scope(rule.nested_scope, value, f"({sql_value})", indent, measured, loops)
                      if rule.nested_scope else [])
            return [("object", nested)]
        if kind == "company":
            nested = (self.path_scope(rule.nested_scope, value, f"({sql_value})", indent, measured, loops)
                      if rule.nested_scope else [])
            text = replace(rule, min_length=None, pattern=None, trimmed=True)
            return [("object", nested), ("string", self.path_text(text, value, sql_value, sql_text, measured,
                                                                  rule.max_length))]
        if kind == "string_array":
            # the items, their lengths and blanks, one by one in a loop (an empty item is
            # refused or dropped with a warning: either way for the walk)
            item = _all(_bounds(_text_length("v_item #>> '{}'", True), max(1, rule.min_length or 0), rule.max_length))
            loops.append(ArrayLoop(sql_value, f"pg_catalog.jsonb_typeof(v_item) = 'string' and {item}"))
            return [("array", _path_bounds(f"{value}.size()", None, rule.max_items))]
        if kind == "questions":
            return [("array", _path_bounds(f"{value}.size()", 1, rule.max_items))]
        raise ValueError(f"request_field_rules(): field {rule.scope}.{rule.field} has a kind the quick check "
                         f"does not know: {kind}")


def _loop(loop: ArrayLoop, indent: str) -> str:
    return (f"{indent}if pg_catalog.jsonb_typeof({loop.value}) = 'array' then\n"
            f"{indent}  v_array := {loop.value};\n"
            f"{indent}  for j in 0 .. pg_catalog.jsonb_array_length(v_array) - 1 loop\n"
            f"{indent}    v_item := v_array -> j;\n"
            f"{indent}    if not coalesce({loop.item}, false) then\n"
            f"{indent}      return false;\n"
            f"{indent}    end if;\n"
            f"{indent}  end loop;\n"
            f"{indent}end if;\n")


def _question_loops(generator: Generator, loops: list[ArrayLoop]) -> str:
    """The loops over the arrays inside a question, behind one test of whether the
    question has any of the fields they are in (most questions have none)."""
    if not loops:
        return ""
    keys = [r.field for r in generator._fields("question") if r.kind == "string_array" or r.nested_scope]
    return (f"    if v_question ?| {_text_array(keys)} then\n"
            + "".join(_loop(loop, "      ") for loop in loops)
            + "    end if;\n")


HEADER = """\
-- Generated by `interview-db quick-check` from interview_private.request_field_rules(); do not edit.
--
-- The quick check of a create request body: the rule table's rules written out
-- field by field, so that a valid body costs a lookup or two per field instead of
-- a row per value. True when every field passes its rule. False when one does
-- not, or when the body holds a key that is not a field (even with a null value):
-- interview_private.assert_valid_request then walks the rule table
-- (interview_private.first_invalid_field) for the first invalid field and its
-- message. It must never pass a body the walk refuses (tested against every
-- refusal the tests know and against generated bodies).
--
-- The body's keys are one jsonb minus text[] (a microsecond or two; a jsonpath
-- filter comparing every key with every field, its keyvalue() copying every
-- value, took 25 to 40 at 1 to 10 questions). Its fields are one constant
-- jsonpath predicate (lax mode; every check after its value's type check):
-- PostgreSQL parses it once per session with the expression's plan and each call
-- only runs it, where a PL/pgSQL expression of the same checks is compiled again
-- in every transaction. What a jsonpath cannot say (the length of
-- a text, the size of an object) and the questions (per item a PL/pgSQL
-- expression is cheaper than a jsonpath filter) are PL/pgSQL expressions without
-- a subquery (PL/pgSQL evaluates those without the executor), the items of arrays
-- in loops by index.
"""


def generate(rules: list[FieldRule]) -> str:
    """The SQL file of the quick check, from the rule table's rows."""
    generator = Generator(rules)
    loops: list[ArrayLoop] = []
    measured: list[str] = []
    indent = "      "
    # the body's keys: one jsonb minus text[] (a microsecond or two) rather than a jsonpath
    # filter comparing every key with every field, its keyvalue() copying every value
    body_keys = generator.keys("body", "p_body")
    keys = ("  -- the body's keys: a key that is not a field, even with a null value, is for the\n"
            "  -- walk to judge (refused, or named in a warning)\n"
            "  if not (case when pg_catalog.jsonb_typeof(p_body) = 'object'\n"
            f"               then {body_keys}\n"
            "               else false end) then\n"
            "    return false;\n"
            "  end if;\n"
            "\n") if body_keys is not None else ""
    predicate = _path_and(['$.type() == "object"', *generator.path_scope("body", "$", "p_body", indent, measured,
                                                                         loops, keys_checked=True)], indent)
    questions, question_check, question_loops = generator.questions()
    return (
        HEADER
        + f"create or replace function {FUNCTION}(p_body jsonb)\n"
        "returns boolean\n"
        "language plpgsql\n"
        "immutable\n"
        "parallel safe\n"
        "set search_path = pg_catalog, pg_temp\n"
        "as $$\n"
        "declare\n"
        f"  {BLANK} constant text := E' \\t\\r\\n';  -- what trimming removes\n"
        "  v_questions jsonb;\n"
        "  v_question jsonb;\n"
        "  v_array jsonb;\n"
        "  v_item jsonb;\n"
        "begin\n"
        + keys
        + "  -- the body's own fields: types, enums, ranges, patterns, the keys of nested\n"
        "  -- objects, the sizes of arrays (silent: an error is no pass)\n"
        "  if not coalesce(pg_catalog.jsonb_path_match(p_body, '\n"
        f"      {predicate.replace(chr(39), chr(39) * 2)}', '{{}}', true), false) then\n"
        "    return false;\n"
        "  end if;\n"
        "\n"
        "  -- what a jsonpath cannot measure: the lengths of texts, the sizes of objects (an\n"
        "  -- absent value is null and passes)\n"
        "  if (" + "\n      and ".join(f"({m})" if " or " in m else m for m in measured) + ") is false then\n"
        "    return false;\n"
        "  end if;\n"
        "\n"
        "  -- the items of the body's arrays of texts\n"
        + "".join(_loop(loop, "  ") for loop in loops)
        + "\n"
        f"  -- each question (the array's type and length were checked above)\n"
        f"  v_questions := p_body -> {_literal(questions.field)};\n"
        "  for i in 0 .. pg_catalog.jsonb_array_length(v_questions) - 1 loop\n"
        "    v_question := v_questions -> i;\n"
        f"    if not coalesce({question_check}, false) then\n"
        "      return false;\n"
        "    end if;\n"
        + _question_loops(generator, question_loops)
        + "  end loop;\n"
        "  return true;\n"
        "end\n"
        "$$;\n"
        "\n"
        f"comment on function {FUNCTION}(jsonb) is\n"
        "  'Whether a create request body passes every rule of request_field_rules, as a quick check generated "
        "from the table: true when it does; false when a field breaks its rule or the body holds a key that is not "
        "a field, and then interview_private.first_invalid_field finds the field and its message.';\n"
        "\n"
        f"revoke all on function {FUNCTION}(jsonb) from public;\n"
    )
