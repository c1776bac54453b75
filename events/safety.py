"""The personal-data check: nothing about a victim goes public (DOMAIN.md, "Trust of the record").

When a statement is published, or a published one is written, its text, context
and translations are scanned for four kinds of personal data: e-mail addresses,
phone numbers, personal identity numbers (the 13-digit JMBG/EMBG of the former
Yugoslav states, with its birth date and check digit) and IBANs (checksum). A
finding refuses the write (`PersonalDataFound`, a 422 in the API) unless a user
holding `events.override_personal_data_check` gives a reason for publishing
anyway; the statement's history keeps that reason (`safety_override`).

`check_statement` is the rule and `events.services.write_statement` calls it, so
the API, the admin's statement page, the event page's statement rows, the bulk
import and `load_demo` are all checked by it; the admin's forms and its bulk
"publish" action scan first (`scan_statement`) to show the findings where the
editor can act on them. Drafts are not checked: a draft is private, and
publishing it is the moment that matters. Writes that do not change the words
(the search document refreshed after a speaker is renamed) are not checked
either. The backup restore (`import_data`, ctht_api.backup) restores what was,
without checking: restoring is not editing.

**What counts.** Each kind is found by a strict pattern, then validated, so that
the legal references a statement quotes are not mistaken for personal data:

- a phone number starts with `+`, `00` or the trunk `0` (a bare `45 2021` is not one),
  after a space or glued to a word's `.` or `,` (`Tel.064/123-4567`; likewise an
  identity number, `jmbg.0101…`), has 8 to 15 digits, and is valid in the numbering
  plan of one of the region's countries (RS, BA, ME, MK, AL, XK, HR, SI; `+…` in any
  country), as the phonenumbers library (Google's libphonenumber) knows them.
  Toll-free, shared-cost, premium-rate and universal-access numbers (a hotline) are an
  organisation's, not a person's, and are not findings. Dates (`03/12/2020`,
  `3.12.2020.`, `2020-12-03`), numbers ending in a year (`45/2021`,
  `011-00-123/2019`), numbers after a reference word (`ETS No.`, `Article`, `ISBN`,
  `pp.`, …) and amounts are set aside before phone numbers are looked for;
- an identity number is 13 digits standing alone with a valid date of birth and
  check digit (`stdnum.si.emso`: the EMŠO is the same number);
- an IBAN is a country code, two check digits and the account, valid by
  `stdnum.iban` (country format and mod-97 checksum);
- an e-mail address is `local@domain.tld`.

**Fast.** A text without an `@` or a run of seven digits is dismissed by one
regular expression, so scanning a page of 500 statements costs a few
milliseconds; only texts with long digit runs reach the phone library.

**Not echoed.** A finding names where it is (`text`, `context`,
`translations.<i>.text`) and what it is, with the number masked (its last two
digits), never the value itself.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import phonenumbers
from django.core.exceptions import PermissionDenied, ValidationError
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import exceptions, serializers
from stdnum import iban
from stdnum.si import emso

from ctht_api.audit import current_changeset
from ctht_api.concurrency import REASON_MAX_LENGTH
from ctht_api.errors import ProblemWithErrors
from ctht_api.models import Status
from ctht_api.schema import ProblemErrorSerializer, ProblemSerializer
from events.models import SAFETY_OVERRIDES, Statement, StatementTranslation

OVERRIDE_PERMISSION = "events.override_personal_data_check"
# Where a write's changeset keeps the override it was given (`allow_override`).
OVERRIDE_REASON = "safety_override_reason"
CODE = "personal_data"
EMAIL, PHONE, IDENTITY_NUMBER, IBAN = "email", "phone", "identity_number", "iban"
KINDS = {
    EMAIL: "an e-mail address",
    PHONE: "a phone number",
    IDENTITY_NUMBER: "a personal identity number (JMBG/EMBG)",
    IBAN: "a bank account number (IBAN)",
}
# The numbering plans a national number (with its trunk 0) is tried in, in this order.
REGIONS = ("RS", "BA", "ME", "MK", "AL", "XK", "HR", "SI")
# Numbers that belong to an organisation, never to a person: not findings.
NOT_PERSONAL = {
    phonenumbers.PhoneNumberType.TOLL_FREE,
    phonenumbers.PhoneNumberType.PREMIUM_RATE,
    phonenumbers.PhoneNumberType.SHARED_COST,
    phonenumbers.PhoneNumberType.UAN,
}
MIN_PHONE_DIGITS, MAX_PHONE_DIGITS = 8, 17  # 17: 00 and a 15-digit E.164 number

# The prefilter: an `@`, or seven digits with at most one separator between two.
TRIGGER = re.compile(r"@|\d(?:[ \u00a0()./\-]?\d){6}")
EMAIL_PATTERN = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])")
IDENTITY_PATTERN = re.compile(
    r"(?:(?<![\d./-])|(?<=[^\W\d_][.,]))\d{13}(?![\d]|[./-]\d)"  # `jmbg.0101…` too
)
IBAN_PATTERN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[ \u00a0]?[A-Z0-9]){11,30}")
# What is set aside before phone numbers are looked for: dates, numbers ending in a
# year, and the number after a word that introduces a reference.
_SEP = r"\s?[./\-]\s?"
REFERENCE_WORDS = (
    r"ETS|CETS|CM/Rec|No|Nos|Nr|Br|Broj|Art|Arts|Article|Articles|Čl|Član|Člana|Članak|"
    r"Clanak|Clan|Cl|p|pp|page|pages|para|paras|§|ISBN(?:-1[03])?|ISSN|ECLI|Case|Cases|"
    r"Application|Applications|Law|Zakon|Gazette|Glasnik|OJ|Resolution|Recommendation|"
    r"Directive|Regulation|Decision|Rec|Doc|Ref|Vol|Sl|Službeni|Sluzbeni"
)
PROTECTED = re.compile(
    "|".join(
        [
            rf"(?<!\d)\d{{1,2}}{_SEP}\d{{1,2}}{_SEP}(?:\d{{4}}|\d{{2}})(?!\d)\.?",  # 3.12.2020.
            r"(?<!\d)\d{4}-\d{1,2}-\d{1,2}(?!\d)",  # 2020-12-03
            r"(?<![\d/])\d{1,6}(?:[-./]\d{1,6})*/(?:19|20)\d{2}(?![\d/])",  # 45/2021
            r"(?<!\d)(?:19|20)\d{2}\s?[-\u2013/]\s?(?:19|20)?\d{2}(?!\d)",  # 2019-2020, 2019/20
        ]
    )
)
REFERENCE = re.compile(
    rf"(?<![\w/])(?:{REFERENCE_WORDS})\.?(?:\s*(?:No|Nr|br)\.?)?\s*:?\s*"
    r"\d[\dXx]*(?:\s?[./\-\u2013(),]\s?[\dXx]+\)?)*",
    re.IGNORECASE,
)
PHONE_WORDS = re.compile(r"tel|phone|mob|fax|gsm|viber|whatsapp|тел|моб|телефон", re.IGNORECASE)
# A run of digits that may be a phone number, and how it splits into groups.
PHONE_RUN = re.compile(
    r"(?:\+|\(\+?)?\d(?:(?:[ \u00a0]?[\-./]?[ \u00a0]?|\)[ \u00a0]?|[ \u00a0]?\()\d)*"
)
# Where a phone number may start (`+`, or a `0` beginning a number): none, no phone.
# Not glued to a word or a number (`A0…`, `1.064…`), except after a word's `.`/`,`
# (`Tel.064/123-4567`): a reference word's number there is set aside beforehand.
GLUED_TO_WORD = r"(?<=[^\W\d_][.,])"
PHONE_START = re.compile(rf"(?:(?<![\w.,])|{GLUED_TO_WORD})(?:\+|\(?0)\d")
GROUP = re.compile(r"[+(]*\d+\)?")
THOUSANDS = re.compile(r"[1-9]\d{0,2}(?:([ \u00a0.,])\d{3})(?:\1\d{3})*")
AMOUNT_AFTER = re.compile(
    r"\s?(?:%|‰|€|\$|EUR|USD|RSD|BAM|KM|MKD|ALL|HRK|CHF|GBP|din|dinar|den|денар|lek|kun|"
    r"million|milion|миллион|милион|thousand|hiljad|хиљад)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Finding:
    """One piece of personal data: where it is, what it is, and a masked hint of it."""

    kind: str
    hint: str
    field: str = ""

    @property
    def message(self) -> str:
        return (
            f"{KINDS[self.kind][0].upper()}{KINDS[self.kind][1:]} ({self.hint}) looks like "
            "personal data, which a published statement must not contain."
        )

    def as_error(self) -> dict:
        """The finding as an entry of a problem's `errors`."""
        return {"field": self.field, "code": CODE, "kind": self.kind, "message": self.message}


class PersonalDataFound(ValidationError):
    """A published statement would carry personal data: its findings, by field."""

    def __init__(self, findings: Sequence[Finding]):
        self.findings = list(findings)
        by_field: dict[str, list] = {}
        for finding in self.findings:
            name = finding.field.split(".", 1)[0]  # translations.0.text → translations
            by_field.setdefault(name, []).append(ValidationError(_located(finding), code=CODE))
        super().__init__(by_field)


def _located(finding: Finding) -> str:
    if finding.field.startswith("translations."):
        return f"{finding.field}: {finding.message}"
    return finding.message


def _last_digits(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    return f"ending in …{digits[-2:]}"


def _mask_email(value: str) -> str:
    local, _, domain = value.partition("@")
    return f"{local[:1]}…@….{domain.rsplit('.', 1)[-1]}"


HYPHENS = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"


def _plain(text: str) -> str:
    """`text` with any Unicode decimal digit as its ASCII digit, any space separator as a
    space and hyphen variants as `-`, char for char: other scripts' digits and thin
    spaces must not hide a number (findings hold no positions, only masked tails)."""
    if text.isascii():
        return text

    def one(char: str) -> str:
        if char.isdecimal():
            return str(unicodedata.decimal(char))
        if char != "\u00a0" and unicodedata.category(char) == "Zs":
            return " "
        return "-" if char in HYPHENS else char

    return "".join(one(char) for char in text)


def scan(text: str) -> list[Finding]:
    """The personal data in one text, in order of appearance (without a field)."""
    text = _plain(text or "")
    if not text or not TRIGGER.search(text):
        return []
    found: list[tuple[int, Finding]] = []
    taken: list[tuple[int, int]] = []
    if "@" in text:
        for match in EMAIL_PATTERN.finditer(text):
            found.append((match.start(), Finding(EMAIL, _mask_email(match.group()))))
    for match in IDENTITY_PATTERN.finditer(text):
        if emso.is_valid(match.group()):
            found.append((match.start(), Finding(IDENTITY_NUMBER, _last_digits(match.group()))))
            taken.append(match.span())
    for start, end, account in _ibans(text):
        found.append((start, Finding(IBAN, f"{account[:2]}… {_last_digits(account)}")))
        taken.append((start, end))
    for start, number in _phones(text, taken):
        found.append((start, Finding(PHONE, _last_digits(number))))
    return [finding for _, finding in sorted(found, key=lambda pair: pair[0])]


def _ibans(text: str) -> Iterable[tuple[int, int, str]]:
    for match in IBAN_PATTERN.finditer(text):
        raw = match.group()
        # The pattern may run on into an upper-case word that follows: the longest
        # valid IBAN at its start is the account.
        ends = [i + 1 for i, char in enumerate(raw) if char.isalnum()]
        for end in reversed(ends):
            account = re.sub(r"\s", "", raw[:end])
            if len(account) >= 15 and iban.is_valid(account):
                yield match.start(), match.start() + end, account
                break


def _set_aside(text: str) -> str:
    """`text` with dates, year-numbered and introduced references, and amounts blanked
    (same length, so positions hold): what remains may hold phone numbers."""

    def blank(match: re.Match) -> str:
        return "#" * len(match.group())

    def blank_reference(match: re.Match) -> str:
        before = text[max(0, match.start() - 16) : match.start()]
        return match.group() if PHONE_WORDS.search(before) else blank(match)

    return REFERENCE.sub(blank_reference, PROTECTED.sub(blank, text))


def _phones(text: str, taken: list[tuple[int, int]]) -> Iterable[tuple[int, str]]:
    if not PHONE_START.search(text):
        return
    visible = _set_aside(text)
    for run in PHONE_RUN.finditer(visible):
        value = run.group()
        if sum(char.isdigit() for char in value) < MIN_PHONE_DIGITS:
            continue
        if any(run.start() < end and start < run.end() for start, end in taken):
            continue
        if THOUSANDS.fullmatch(value) or AMOUNT_AFTER.match(visible, run.end()):
            continue
        number = _phone_in_run(value)
        if number is not None:
            yield run.start() + value.index(number), number


def _phone_in_run(run: str) -> str | None:
    """The first phone number in a run of digit groups: starting at the run's start or
    at a later group after a space, with `+`, `00` or `0`; the longest one found."""
    groups = list(GROUP.finditer(run))
    # Digits up to the end of each group: a candidate's count without re-counting it,
    # so each start tries at most MAX_PHONE_DIGITS ends (every group holds a digit)
    # and a long run of groups is scanned in linear time, not cubic.
    upto = [0]
    for group in groups:
        upto.append(upto[-1] + sum(char.isdigit() for char in group.group()))
    for first, group in enumerate(groups):
        starts_word = first == 0 or run[group.start() - 1] in " \u00a0"
        if not starts_word or not group.group().lstrip("(").startswith(("+", "0")):
            continue
        longest = first
        while longest + 1 < len(groups) and upto[longest + 2] - upto[first] <= MAX_PHONE_DIGITS:
            longest += 1
        for last in range(longest, first - 1, -1):
            if upto[last + 1] - upto[first] < MIN_PHONE_DIGITS:
                break
            if upto[last + 1] - upto[first] <= MAX_PHONE_DIGITS:
                candidate = run[group.start() : groups[last].end()]
                if _is_personal_phone(candidate):
                    return candidate
    return None


def _is_personal_phone(candidate: str) -> bool:
    regions = (None,) if candidate.lstrip("(").startswith("+") else REGIONS
    for region in regions:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.number_type(number) not in NOT_PERSONAL
    return False


def scan_statement(
    *, text: str, context: str = "", translations: Iterable[str] = ()
) -> list[Finding]:
    """Every finding in a statement's words, named by field: `text`, `context`,
    `translations.<i>.text` (in the order the translations were given)."""
    places = [("text", text), ("context", context)] + [
        (f"translations.{index}.text", words) for index, words in enumerate(translations)
    ]
    return [
        Finding(finding.kind, finding.hint, name)
        for name, words in places
        for finding in scan(words or "")
    ]


def translation_texts(statement: Statement, translations: Sequence[Mapping] | None) -> list[str]:
    """The translations a write leaves the statement with: those sent, else those stored
    (as the API lists them, by language)."""
    if translations is not None:
        return [t.get("text", "") for t in translations]
    if statement.pk is None:
        return []
    return list(
        StatementTranslation.objects.filter(statement_id=statement.pk)
        .order_by("language")
        .values_list("text", flat=True)
    )


def check_statement(statement: Statement, *, translations: Sequence[Mapping] | None = None) -> str:
    """Refuse a published statement carrying personal data (`PersonalDataFound`), unless
    the write carries an override (`allow_override`): then return its reason, which
    `record_override` keeps in the history once the statement is saved. "" when the
    check passes without one. A draft is not checked."""
    if statement.status != Status.PUBLISHED:
        return ""
    findings = scan_statement(
        text=statement.text,
        context=statement.context,
        translations=translation_texts(statement, translations),
    )
    if not findings:
        return ""
    reason = override_reason()
    if not reason:
        raise PersonalDataFound(findings)
    return reason


def allow_override(reason: str, *, user) -> None:
    """Let the current write (its audit changeset) publish despite findings, for `reason`.

    Only a user holding the override permission may; the reason must say something."""
    if user is None or not user.has_perm(OVERRIDE_PERMISSION):
        raise PermissionDenied(
            f"Overriding the personal-data check needs the `{OVERRIDE_PERMISSION}` permission."
        )
    if not reason.strip():
        raise ValidationError("Give the reason for publishing despite the personal-data check.")
    current = current_changeset()
    if current is None:
        raise RuntimeError("An override belongs to a write: open a changeset first.")
    current.parts[OVERRIDE_REASON] = reason.strip()


def override_reason() -> str:
    """The override the current write was given, or "" (events.safety.allow_override)."""
    current = current_changeset()
    return current.parts.get(OVERRIDE_REASON, "") if current is not None else ""


def record_override(statement: Statement, reason: str) -> None:
    """The history record this write makes of `statement` keeps `reason`
    (SafetyOverrideHistory.take_snapshot reads it)."""
    current = current_changeset()
    if current is not None and reason:
        current.parts.setdefault(SAFETY_OVERRIDES, {})[statement.pk] = reason


# In the API: the override header, and the 422.

OVERRIDE_HEADER = "X-Safety-Override"


class PersonalDataRefused(ProblemWithErrors):
    status_code = 422
    default_code = CODE
    kind = "personal-data"


def refusal(error: PersonalDataFound) -> PersonalDataRefused:
    """The API's answer to a finding: 422, each finding in `errors`, nothing echoed."""
    fields = ", ".join(dict.fromkeys(finding.field for finding in error.findings))
    return PersonalDataRefused(
        f"The statement would publish personal data ({fields}). Remove it or keep the "
        f"statement as a draft; a user with the override permission may send "
        f"`{OVERRIDE_HEADER}: <reason>`.",
        [finding.as_error() for finding in error.findings],
    )


def override_header(request) -> str | None:
    """`X-Safety-Override` as UTF-8 text, None when not sent; a 400 names a bad one."""
    raw = request.META.get("HTTP_X_SAFETY_OVERRIDE")
    if raw is None:
        return None
    try:  # WSGI hands headers over as Latin-1: undo that to read UTF-8.
        reason = raw.encode("latin-1").decode("utf-8").strip()
    except UnicodeError:
        reason = None
    if reason is None or len(reason) > REASON_MAX_LENGTH or "\x00" in reason:
        raise exceptions.ValidationError(
            {OVERRIDE_HEADER: [f"UTF-8 text of at most {REASON_MAX_LENGTH} characters."]}
        )
    return reason


class SafetyOverrideMixin:
    """For the statements' viewset: `X-Safety-Override: <reason>` on a write lets it past
    the check (403 without the permission, 400 with an empty reason, checked before the
    data), and a finding is answered with a 422 problem (`refusal`)."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # opens the write (ctht_api.concurrency)
        if request.method not in ("POST", "PUT", "PATCH"):
            return
        reason = override_header(request)
        if reason is None:
            return
        try:
            allow_override(reason, user=request.user)
        except PermissionDenied as error:
            raise exceptions.PermissionDenied(str(error.args[0])) from None
        except ValidationError as error:
            raise exceptions.ValidationError({OVERRIDE_HEADER: error.messages}) from None

    def handle_exception(self, exc):
        if isinstance(exc, PersonalDataFound):
            exc = refusal(exc)
        return super().handle_exception(exc)


class PersonalDataErrorSerializer(ProblemErrorSerializer):
    """One finding of the personal-data check."""

    kind = serializers.ChoiceField(
        choices=list(KINDS), help_text="What was found: " + ", ".join(f"`{k}`" for k in KINDS)
    )


class PersonalDataProblemSerializer(ProblemSerializer):
    """A write refused by the personal-data check."""

    errors = PersonalDataErrorSerializer(
        many=True,
        help_text="One entry per finding: `field` (`text`, `context`, "
        "`translations.<i>.text`), `code` `personal_data`, `kind`, and a message with the "
        "number masked.",
    )


SAFETY_OVERRIDE_PARAMETER = OpenApiParameter(
    OVERRIDE_HEADER,
    str,
    OpenApiParameter.HEADER,
    description="Publish despite the personal-data check's findings, for this reason (UTF-8, "
    f"at most {REASON_MAX_LENGTH} characters); kept in the statement's history "
    "(`safety_override`). Needs the `events.override_personal_data_check` permission "
    "(403 without it); an empty reason is a 400.",
)
PERSONAL_DATA_RESPONSE = OpenApiResponse(
    PersonalDataProblemSerializer,
    description="The statement is or becomes published and its text, context or a "
    "translation holds personal data (an e-mail address, a phone number, a JMBG/EMBG, an "
    "IBAN); `errors` lists each finding. Nothing was changed.",
)
