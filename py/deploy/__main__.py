"""`python -m interview_db`: the same as the `interview-db` command."""

from .cli import main

main(prog_name="interview-db")
