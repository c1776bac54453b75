"""What the personal-data check (events.safety) finds, and what it must leave alone: the
legal references, dates and amounts statements quote, the demo and generated data."""

from pathlib import Path

import pytest

from events import safety
from events.generate import generate
from events.models import Statement, StatementTranslation
from events.safety import scan, scan_statement

CORPUS = [
    line
    for line in (Path(__file__).parent / "fixtures" / "legal_references.txt")
    .read_text(encoding="utf-8")
    .splitlines()
    if line.strip() and not line.startswith("#")
]


@pytest.mark.parametrize("text", CORPUS)
def test_legal_references_dates_and_amounts_are_not_personal_data(text):
    assert scan(text) == []


def test_the_corpus_is_the_one_written_for_it():
    assert len(CORPUS) > 70
    assert "ETS No. 185" in " ".join(CORPUS) and "CETS 197" in " ".join(CORPUS)


@pytest.mark.parametrize(
    "text",
    [
        "Call me on 064 123 4567.",
        "Call me on 064/123-4567.",
        "Call me on 064-123-45-67.",
        "Mob. 0641234567",
        "Tel: 011 123 4567 (Belgrade)",
        "Tel: +381 11 123 4567",
        "Tel: +381 (0)11 123 4567",
        "Tel: 00381 64 123 4567",
        "Sarajevo: +387 61 123 456",
        "Podgorica: +382 67 123 456",
        "Skopje: 02 3123 456",
        "Skopje: +389 70 123 456",
        "Tirana: +355 69 123 4567",
        "Pristina: +383 44 123 456",
        "Zagreb: 091 123 4567",
        "Ljubljana: 041 123 456",
        "London: +44 20 7946 0958",
        "Tel. No. 064 123 4567",
        "Article 4 was read out; 064 123 4567 is her number.",
        "On 3.12.2020. 064 123 4567 was called.",
        # Glued to the word before it, after its full stop or comma.
        "Tel.064/123-4567",
        "Mob.0641234567",
        "Kontakt tel,064 123 4567.",
    ],
)
def test_phone_numbers_are_found_in_the_regions_plans_and_in_international_format(text):
    assert [finding.kind for finding in scan(text)] == ["phone"]


@pytest.mark.parametrize(
    "text, kind",
    [
        ("Her JMBG is 0101006500006.", "identity_number"),
        ("EMBG 2802987455019 was shown.", "identity_number"),
        ("Her jmbg.0101006500006 was shown.", "identity_number"),
        ("IBAN RS35260005601001611379", "iban"),
        ("Pay into RS35 2600 0560 1001 6113 79 please.", "iban"),
        ("Konto: ME25 5050 0001 2345 6789 51.", "iban"),
        ("Account DE89 3704 0044 0532 0130 00 at the bank.", "iban"),
        ("Write to ana.petrovic@example.org.", "email"),
        ("Пишите на marko_markovic+tips@mail.example.rs.", "email"),
    ],
)
def test_identity_numbers_ibans_and_e_mail_addresses_are_found(text, kind):
    assert [finding.kind for finding in scan(text)] == [kind]


@pytest.mark.parametrize(
    "text",
    [
        "0101006500007",  # a wrong check digit
        "3201006500006",  # no 32nd day
        "01010065000061",  # 14 digits
        "RS35260005601001611378",  # a wrong IBAN checksum
        "name at example dot org",
        "064 123",  # too short for a phone number
        "64 123 4567",  # no trunk 0 nor +: not read as a phone number
    ],
)
def test_near_misses_are_not_findings(text):
    assert scan(text) == []


def test_a_finding_names_its_place_and_masks_the_number():
    findings = scan_statement(
        text="Nothing here.",
        context="She gave 064 123 4567.",
        translations=["Rien.", "IBAN RS35260005601001611379"],
    )

    assert [(f.field, f.kind) for f in findings] == [
        ("context", "phone"),
        ("translations.1.text", "iban"),
    ]
    assert "…67" in findings[0].message and "123 4567" not in findings[0].message
    assert "…79" in findings[1].message and "2600" not in findings[1].message
    assert findings[0].as_error()["code"] == "personal_data"


def test_the_demo_data_has_no_finding(demo):
    assert_no_finding(Statement.objects.all())


@pytest.mark.django_db
def test_generated_data_has_no_finding():
    generate(statements=3000, seed=5)

    assert_no_finding(Statement.objects.all())


def assert_no_finding(statements) -> None:
    translations: dict[int, list[str]] = {}
    for statement_id, text in StatementTranslation.objects.order_by(
        "statement_id", "language"
    ).values_list("statement_id", "text"):
        translations.setdefault(statement_id, []).append(text)
    checked = 0
    for pk, text, context in statements.values_list("pk", "text", "context"):
        assert (
            scan_statement(text=text, context=context, translations=translations.get(pk, [])) == []
        ), pk
        checked += 1
    assert checked


@pytest.mark.parametrize("text", ["00 " * 300, "01 " * 800, "+" + "1 " * 20000, "0123456 " * 10000])
def test_long_runs_of_digit_groups_try_few_candidates(text, monkeypatch):
    """Each start tries at most MAX_PHONE_DIGITS ends: the scan stays linear."""
    calls = []
    real = safety._is_personal_phone
    monkeypatch.setattr(safety, "_is_personal_phone", lambda c: calls.append(c) or real(c))
    scan(text)
    assert len(calls) <= safety.MAX_PHONE_DIGITS * len(text.split())


@pytest.mark.parametrize(
    "text",
    [
        "call 064\u2009123\u20094567",
        "call 064\u202f123\u202f4567",
        "call 064\u2011123\u20114567",
        "call \u0660\u0666\u0664\u0661\u0662\u0663\u0664\u0665\u0666\u0667",
        "call \uff10\uff16\uff14\uff11\uff12\uff13\uff14\uff15\uff16\uff17",
    ],
)
def test_other_spaces_hyphens_and_digits_do_not_hide_a_phone(text):
    assert [f.kind for f in scan(text)] == ["phone"]
