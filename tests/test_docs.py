"""The README is for its readers: short, the quick start first, the rest in docs/ pages it
links to. Every relative link of the README and of docs/ reaches a file (and a heading, where
it names one); the facts the issue listed are stated the way that is true."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = sorted((ROOT / "docs").glob("*.md"))
QUICK_START = (
    "```bash\n"
    "pip install -e '.[dev]' && interview-db demo\n"
    "pip install -e '.[dev]' && python -m pytest\n"
    "```\n"
)
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _anchors(markdown: str) -> set[str]:
    """GitHub's anchors of a page's headings: lowercased, punctuation but - and _ dropped, spaces to -."""
    anchors = set()
    in_code = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and (match := re.match(r"#{1,6} (.+)", line)):
            anchors.add(re.sub(r"[^\w\- ]", "", match.group(1).strip().lower()).replace(" ", "-"))
    return anchors


def test_the_readme_is_short_and_starts_with_the_two_quick_start_commands() -> None:
    text = _text(README)
    assert len(text.splitlines()) <= 350
    headings = re.findall(r"^## (.+)$", text, flags=re.MULTILINE)
    assert headings[0] == "Quick start"
    section = text.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    assert section.lstrip("\n").startswith(QUICK_START)
    assert text.count("```bash\n") >= 1 and section.count("```") == 2  # one block, exactly those two commands


def test_every_docs_page_is_linked_from_the_readme() -> None:
    text = _text(README)
    assert PAGES, "docs/ holds the reference, webhooks, security, performance and testing pages"
    for page in PAGES:
        assert f"](docs/{page.name})" in text, page.name


def test_every_relative_link_reaches_a_file_and_its_heading() -> None:
    broken = []
    for source in [README, *PAGES, ROOT / "CONTRIBUTING.md"]:
        for target in LINK.findall(_text(source)):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            path_part, _, anchor = target.partition("#")
            path = (source.parent / path_part).resolve() if path_part else source
            if not path.exists():
                broken.append(f"{source.name}: {target}")
            elif anchor and path.suffix == ".md" and anchor not in _anchors(_text(path)):
                broken.append(f"{source.name}: {target} (no such heading)")
    assert not broken, broken


def test_the_stated_facts() -> None:
    everything = {p.relative_to(ROOT).as_posix(): _text(p) for p in [README, *PAGES]}
    for name, text in everything.items():
        # the package is not on PyPI: every install names a wheel built from the checkout
        assert not re.search(r"pipx? install ['\"]?interview-db\b", text), name
        # the embed signing key comes back with an idempotent replay: it is not "shown once"
        for line in text.splitlines():
            assert not ("embed_signing_key" in line and "shown once" in line.lower()), (name, line)
        # the generated performance block lives on one page
        assert ("<!-- bench:start" in text) == (name == "docs/performance.md"), name
    readme = everything["README.md"]
    assert "python -m build --wheel" in readme and "pipx install ./dist/interview_db-*.whl" in readme
    assert "?sslmode=disable" in readme  # supabase db push to a local PostgreSQL without TLS
    assert "`--db-url` the CLI runs its generator in Docker" in readme  # supabase gen types
    assert "interview_deploy.catalog_fingerprints" in readme  # what the export's functions file records
    assert "isEmbedded(data)` or `'embed_signing_key' in data`, either or both in one function" in readme


def test_the_readme_s_figures_are_the_measured_ones() -> None:
    """The README quotes the measured figures in words; held here to benchmarks/results-pg15.json."""
    readme = _text(README)
    figures = json.loads(_text(ROOT / "benchmarks" / "results-pg15.json"))
    n200 = next(p for p in figures["sizes"] if p["questions"] == 200)
    assert "A valid 200-question call\ntakes tens of milliseconds" in readme
    assert 10 <= n200["rpc"]["median_ms"] < 100 and 10 <= n200["server_rpc_ms"] < 100
    assert "about 12 times a valid 200-question call, under a quarter of a\nsecond" in readme
    worst = max(figures["hostile"]["points"], key=lambda p: p["ratio"])
    assert 10 <= worst["ratio"] < 14 and max(p["server_ms"] for p in figures["hostile"]["points"]) < 250
    assert "the bench's guard is 20 times" in readme
    assert any(name.startswith("worst hostile body <= 20 x") for name in figures["targets"])


def test_the_readme_s_typescript_merge_is_the_compiled_example() -> None:
    """The README's MergeDeep snippet is examples/database.ts, which test_typescript.py compiles."""
    blocks = re.findall(r"```ts\n(.*?)```", _text(README), flags=re.DOTALL)
    assert len(blocks) == 1
    example = _text(ROOT / "examples" / "database.ts")
    for line in blocks[0].splitlines():
        code = line.split("//")[0].strip()
        if code:
            assert code.replace("from './interview-db'", "from '../types/interview-db'") in example, code
