"""Finding charts that may be the same person: at registration (staff), at online booking, and
for the API's duplicates list.

A candidate is an active chart of the same clinic whose family name matches once folded (case and
accents ignored) and whose given name matches the same way, or through a common nickname
("Bob" is "Robert"), or one is the start of the other ("Chris", "Christopher"); and which either
shares the date of birth, or shares the email address or phone number (a mistyped birth date is
a common cause of duplicate charts). An *exact* match has the same folded given and family
names, the same date of birth and the same email or phone: online booking attaches to that chart
instead of opening a new one.
"""

from dataclasses import dataclass, field

from django.db.models import Q

from imsclinic.patients.models import Patient, fold, phone_digits

# Common English and French given-name variants. Small on purpose: each row is a set of names that
# front desks meet as one person; a wrong match only costs a warning a person reads.
NICKNAME_GROUPS = [
    {"robert", "rob", "robbie", "bob", "bobby", "bert"},
    {"william", "will", "bill", "billy", "liam", "willy"},
    {"richard", "rick", "ricky", "dick", "rich", "richie"},
    {"james", "jim", "jimmy", "jamie"},
    {"john", "jack", "johnny", "jon"},
    {"jonathan", "jon", "johnny"},
    {"michael", "mike", "mikey", "mick", "michel"},
    {"elizabeth", "liz", "lizzie", "beth", "betty", "eliza", "lisa", "elisabeth", "elise"},
    {"margaret", "maggie", "meg", "peggy", "marguerite", "margot"},
    {"katherine", "catherine", "kathryn", "kate", "katie", "kathy", "cathy", "cat"},
    {"jennifer", "jen", "jenny"},
    {"patricia", "pat", "patty", "trish"},
    {"patrick", "pat", "paddy"},
    {"alexander", "alex", "alexandre", "sandy", "xander"},
    {"alexandra", "alex", "alexandria", "sandra", "sasha"},
    {"christopher", "chris", "kit", "christophe"},
    {"christine", "chris", "christina", "tina", "kristine"},
    {"daniel", "dan", "danny"},
    {"david", "dave", "davey"},
    {"edward", "ed", "eddie", "ted", "ned", "edouard"},
    {"thomas", "tom", "tommy"},
    {"joseph", "joe", "joey"},
    {"anthony", "tony", "antoine"},
    {"charles", "charlie", "chuck", "chas"},
    {"samuel", "sam", "sammy"},
    {"samantha", "sam", "sammy"},
    {"benjamin", "ben", "benny"},
    {"nicholas", "nick", "nicky", "nicolas"},
    {"steven", "stephen", "steve", "stephane"},
    {"matthew", "matt", "mathieu", "matthieu"},
    {"andrew", "andy", "drew", "andre"},
    {"susan", "sue", "susie", "suzanne"},
    {"deborah", "debbie", "deb", "debra"},
    {"rebecca", "becky", "becca"},
    {"victoria", "vicky", "tori"},
    {"jacqueline", "jackie"},
    {"francis", "frank", "francois"},
    {"frances", "fran", "francine", "françoise"},
    {"gregory", "greg"},
    {"timothy", "tim", "timmy"},
    {"kenneth", "ken", "kenny"},
    {"ronald", "ron", "ronnie"},
    {"donald", "don", "donnie"},
    {"lawrence", "larry", "laurent"},
    {"peter", "pete", "pierre"},
    {"abigail", "abby"},
    {"dorothy", "dot", "dottie"},
    {"josephine", "jo", "josie"},
]


def _nicknames() -> dict[str, set[str]]:
    table: dict[str, set[str]] = {}
    for group in NICKNAME_GROUPS:
        folded = {fold(name) for name in group}
        for name in folded:
            table.setdefault(name, set()).update(folded)
    return table


NICKNAMES = _nicknames()
MIN_PREFIX = 3  # "Chris" ~ "Christopher", but "Al" is too short to say anything


def _first_word(value: str) -> str:
    words = fold(value).replace("-", " ").split()
    return words[0] if words else ""


def given_names_match(a: str, b: str) -> bool:
    a, b = _first_word(a), _first_word(b)
    if not a or not b:
        return False
    if a == b or b in NICKNAMES.get(a, ()):
        return True
    short, long = sorted((a, b), key=len)
    return len(short) >= MIN_PREFIX and long.startswith(short)


def family_names_match(a: str, b: str) -> bool:
    """Folded and with spaces and hyphens ignored ("Saint-Pierre" is "St Pierre" only by hand)."""

    def squash(value):
        return fold(value).replace("-", "").replace(" ", "").replace("'", "")

    return bool(squash(a)) and squash(a) == squash(b)


@dataclass(frozen=True)
class Candidate:
    patient: Patient
    reasons: list[str] = field(default_factory=list)
    exact: bool = False


def find_duplicates(
    *,
    clinic,
    given_name: str,
    family_name: str,
    date_of_birth,
    email: str = "",
    phone: str = "",
    exclude=None,
) -> list[Candidate]:
    """Active charts of `clinic` that may be this person, the likeliest first."""
    email = (email or "").strip().casefold()
    digits = phone_digits(phone)
    family_folded = fold(family_name)
    by_dob_or_contact = Q(date_of_birth=date_of_birth)
    if email:
        by_dob_or_contact |= Q(email__iexact=email)
    if digits:
        by_dob_or_contact |= Q(phone_digits=digits)
    # The family name is compared in Python (hyphens, spaces); the database narrows by the
    # indexed birth date or contact, or the folded family name.
    rows = Patient.objects.filter(clinic=clinic, is_active=True).filter(
        by_dob_or_contact | Q(family_name_folded=family_folded)
    )
    if exclude is not None:
        rows = rows.exclude(pk=exclude.pk)
    candidates = []
    for patient in rows.order_by("family_name", "given_name", "pk")[:200]:
        if not family_names_match(family_name, patient.family_name):
            continue
        if not (
            given_names_match(given_name, patient.given_name)
            or given_names_match(given_name, patient.preferred_name)
        ):
            continue
        same_dob = patient.date_of_birth == date_of_birth
        same_email = bool(email) and patient.email.strip().casefold() == email
        same_phone = bool(digits) and patient.phone_digits == digits
        if not (same_dob or same_email or same_phone):
            continue
        reasons = ["Same name" if fold(given_name) == fold(patient.given_name) else "Similar name"]
        if same_dob:
            reasons.append("same date of birth")
        if same_email:
            reasons.append("same email")
        if same_phone:
            reasons.append("same phone")
        exact = (
            fold(given_name) == fold(patient.given_name) and same_dob and (same_email or same_phone)
        )
        candidates.append(Candidate(patient=patient, reasons=reasons, exact=exact))
    candidates.sort(key=lambda c: (not c.exact, -len(c.reasons)))
    return candidates


def exact_match(**person) -> Patient | None:
    """The one chart that is exactly this person (see the module docstring), or None when there
    is none or more than one (then nobody can tell which, and staff sort it out)."""
    exact = [c.patient for c in find_duplicates(**person) if c.exact]
    return exact[0] if len(exact) == 1 else None
