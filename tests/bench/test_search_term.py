"""The benchmark's patient search fills the first page at every size (bench_setup._search_term)."""

import pytest

from imsclinic.bench.management.commands.bench_setup import _search_term
from imsclinic.patients.views import PAGE_SIZE
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def test_the_longest_prefix_that_fills_the_page_is_searched(clinic_a, clinic_b):
    for n in range(PAGE_SIZE + 1):
        PatientFactory(clinic=clinic_a, family_name=f"Leeson{'x' * (n % 3)}", given_name="Ann")
    for _ in range(3):
        PatientFactory(clinic=clinic_a, family_name="Lambert", given_name="Ann")
    PatientFactory(clinic=clinic_b, family_name="Leeson", given_name="Ann")
    # "l" finds 29 and "le" 26; "lee" finds the same 26 and is the most specific.
    assert _search_term(clinic_a) == ("lee", PAGE_SIZE + 1)


def test_a_clinic_too_small_to_fill_a_page_searches_its_commonest_prefix(clinic_a):
    for family in ("Moss", "Moore", "Mills", "Baker"):
        PatientFactory(clinic=clinic_a, family_name=family, given_name="Ann")
    assert _search_term(clinic_a) == ("m", 3)
