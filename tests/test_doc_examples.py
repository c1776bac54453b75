"""Every `curl` example of README.md and docs/api.md answers what its text says, on the demo.

The choices:
- Examples are the `curl` commands in fenced code blocks (a line ending in `\\`
  continues). Only plain reads of `http://127.0.0.1:8000/` run here: a command with
  `-X`, a body (`-d`, `--data…`), an `Authorization` header or a shell variable
  (`$KEY`, `$(…)`) is left out, as it needs a key or a shell, or changes the record.
  `-I` is a HEAD; other `-H` headers (`Accept`, `If-None-Match`) are sent as written.
- Each runs through Django's test client as an anonymous client, on a database that
  holds the demo data alone, with the ids a fresh database gives it, as the examples
  show them (`/statements/4/`): the sequences of the empty tables are restarted before
  `load_demo`. The demo is loaded once for the file, in a transaction rolled back at
  its end, and each example runs in a savepoint within it: loading it per example
  took a minute more on PostgreSQL, and a transactional test with `reset_sequences`
  five (a flush of every table each time). PostgreSQL does not roll a sequence back,
  which leaves the next test a low sequence on an empty table: harmless.
- What an example should answer is read from its trailing shell comment:
  `# empty on the demo` (the demo's dates are all unknown, so date filters find
  nothing): a 2xx whose list or CSV has no entry, so that the text stays true;
  `# → 400` (any status): that status; no such comment: a 2xx and, for a JSON list
  (a `results` key) or a CSV, at least one entry.
"""

import csv
import io
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction
from rest_framework.test import APIClient

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = ["README.md", "docs/api.md"]
SERVER = "http://127.0.0.1:8000"
EMPTY_MARK = "empty on the demo"
STATUS_MARK = re.compile(r"→\s*(\d{3})\b")
# curl options followed by a value, as far as the examples use them.
OPTIONS_WITH_VALUE = {"-H", "--header", "-o", "--output", "-w", "--write-out", "-A", "-e"}
WRITING_OPTIONS = {"-X", "--request", "-d", "--data", "--data-raw", "--data-binary", "-F"}


@dataclass(frozen=True)
class Example:
    source: str  # file:line, for the failure message
    method: str
    path: str  # path and query, as the test client takes it
    headers: tuple[tuple[str, str], ...]
    status: int | None  # None: any 2xx
    empty: bool

    @property
    def name(self) -> str:
        sent = "".join(f" [{name}: {value}]" for name, value in self.headers)
        return f"{self.method} {self.path}{sent}"


def code_lines(text: str):
    """(line number, command) of each shell line inside fenced code blocks."""
    fenced, pending, start = False, "", 0
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("```"):
            fenced, pending = not fenced, ""
            continue
        if not fenced:
            continue
        if not pending:
            start = number
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        yield start, pending + line
        pending = ""


def split_comment(line: str) -> tuple[str, str]:
    """The command and its trailing `#` comment (a `#` outside quotes, after a space)."""
    quote = None
    for index, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1].isspace()):
            return line[:index], line[index + 1 :]
    return line, ""


def parse(source: str, line: str) -> Example | None:
    """The example a command line holds, or None when it is not a plain anonymous read."""
    command, comment = split_comment(line)
    if "$" in command or SERVER + "/" not in command:
        return None
    words = shlex.split(command)
    if not words or words[0] != "curl":
        return None
    method, url, headers = "GET", None, []
    words_left = iter(words[1:])
    for word in words_left:
        if word in WRITING_OPTIONS or word.startswith("--data"):
            return None
        if word in OPTIONS_WITH_VALUE:
            value = next(words_left)
            if word in {"-H", "--header"}:
                name, _, sent = value.partition(":")
                if name.strip().lower() == "authorization":
                    return None
                headers.append((name.strip(), sent.strip()))
        elif word == "--head" or (re.fullmatch(r"-[a-zA-Z]+", word) and "I" in word):
            method = "HEAD"
        elif word.startswith(SERVER + "/"):
            url = word
    if url is None:
        return None
    status = STATUS_MARK.search(comment)
    return Example(
        source=source,
        method=method,
        path=url.removeprefix(SERVER),
        headers=tuple(headers),
        status=int(status[1]) if status else None,
        empty=EMPTY_MARK in comment,
    )


def examples() -> list[Example]:
    found: dict[tuple, Example] = {}
    for document in DOCUMENTS:
        for number, line in code_lines((ROOT / document).read_text(encoding="utf-8")):
            example = parse(f"{document}:{number}", line)
            if example is not None:
                key = (example.method, example.path, example.headers, example.status)
                found.setdefault(key, example)
    return list(found.values())


EXAMPLES = examples()


def entries(response) -> list | None:
    """The entries of a JSON list or the data rows of a CSV; None for anything else."""
    content_type = response.get("Content-Type", "")
    if content_type.startswith("text/csv"):
        body = b"".join(response.streaming_content).decode("utf-8-sig")
        return list(csv.reader(io.StringIO(body)))[1:]
    if "json" in content_type and response.content:
        body = response.json()
        if isinstance(body, dict) and "results" in body:
            return body["results"]
    return None


def restart_empty_sequences() -> None:
    """Number the next row of every empty table 1, as in a fresh database."""
    with connection.cursor() as cursor:
        empty = []
        for sequence in connection.introspection.sequence_list():
            cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(sequence['table'])} LIMIT 1")
            if cursor.fetchone() is None:
                empty.append(sequence)
        for statement in connection.ops.sequence_reset_by_name_sql(no_style(), empty):
            cursor.execute(statement)


@pytest.fixture(scope="module")
def fresh_demo(django_db_setup, django_db_blocker):
    """The demo data with the ids a fresh database gives it, for every test of this file
    that asks for it (each in a savepoint of its own, through `db`), then rolled back."""
    with django_db_blocker.unblock(), transaction.atomic():
        restart_empty_sequences()
        call_command("load_demo", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


def test_both_documents_have_examples():
    """A change in how the examples are written must not make this file test nothing."""
    sources = {example.source.split(":")[0] for example in EXAMPLES}
    assert sources == set(DOCUMENTS)
    assert len(EXAMPLES) >= 30


def test_examples_meant_to_be_empty_are_marked_so():
    """The demo's dates are all unknown: an example filtering on a date says it is empty."""
    dated = [e for e in EXAMPLES if re.search(r"date_(after|before)=", e.path)]
    assert dated
    unmarked = [e.source for e in dated if not e.empty and e.status is None]
    assert not unmarked, f"date filters find nothing on the demo; mark them: {unmarked}"


@pytest.mark.parametrize("example", [pytest.param(e, id=e.name) for e in EXAMPLES])
def test_example_answers_as_documented(example: Example, fresh_demo, db):
    headers = {"HTTP_" + name.upper().replace("-", "_"): value for name, value in example.headers}
    client = APIClient()
    response = getattr(client, example.method.lower())(example.path, **headers)

    where = f"{example.source}: {example.name}"
    if example.status is not None:
        assert response.status_code == example.status, where
        return
    assert 200 <= response.status_code < 300, f"{where} answered {response.status_code}"
    if example.method == "HEAD":
        return
    found = entries(response)
    if example.empty:
        assert found == [], f"{where} is documented as empty on the demo"
    elif found is not None:
        assert found, f"{where} returns nothing on the demo data"
