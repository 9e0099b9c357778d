"""Patient name search: the same matches on both databases, in a form an index serves."""

import random

import pytest
from django.db import connection

from imsclinic.patients.apps import refresh_sqlite_statistics
from imsclinic.patients.models import Patient, fold
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

NAMES = ["Smith", "Smithers", "Smyth", "Zoë", "Zz", "O'Neil", "de Vries", "Ölund", "100%", "a_b"]


@pytest.fixture
def clinic_with_names(clinic_a, clinic_b):
    for name in NAMES:
        PatientFactory(clinic=clinic_a, family_name=name, given_name="Ann")
    PatientFactory(clinic=clinic_b, family_name="Smith", given_name="Other")  # another clinic
    return clinic_a


def test_prefix_search_matches_exactly_the_names_that_start_with_it(clinic_with_names):
    rng = random.Random(5)
    prefixes = ["smi", "sm", "z", "zz", "zo", "o'", "de v", "ö", "100%", "a_", "a%", "_", "x"]
    prefixes += [fold(name)[: rng.randint(1, len(name))] for name in NAMES]
    for prefix in prefixes:
        found = set(
            Patient.objects.filter(clinic=clinic_with_names)
            .search(prefix)
            .values_list("family_name", flat=True)
        )
        words = [w for w in prefix.replace(",", " ").split() if w]
        expected = {
            name
            for name in NAMES
            if all(fold(name).startswith(fold(w)) or fold("Ann").startswith(fold(w)) for w in words)
        }
        assert found == expected, prefix


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's range form")
def test_sqlite_search_reads_the_name_indexes_by_range(clinic_a):
    """In a clinic of thousands, "smi" reads only the matching index entries instead of the
    clinic's whole patient list, once statistics exist (refreshed at every migrate)."""
    import datetime

    from imsclinic.web.demo import FAMILY_NAMES, GIVEN_NAMES

    rng = random.Random(9)
    batch = []
    for i in range(3000):
        patient = Patient(
            clinic=clinic_a,
            chart_number=f"P{i:06d}",
            given_name=rng.choice(GIVEN_NAMES),
            family_name=rng.choice(FAMILY_NAMES) + str(i),
            date_of_birth=datetime.date(1970, 1, 1),
        )
        patient.refresh_search_keys()
        batch.append(patient)
    Patient.objects.bulk_create(batch)
    refresh_sqlite_statistics()
    queryset = (
        Patient.objects.filter(clinic=clinic_a)
        .search("smi")
        .order_by("family_name", "given_name", "id")[:25]
    )
    text = queryset.explain()
    # One index search per OR'ed name column, each bounded on the prefix; no LIKE over the clinic.
    assert (
        "patient_family_idx (clinic_id=? AND family_name_folded>? AND family_name_folded<?)" in text
    )
    assert "patient_given_idx" in text and "patient_preferred_idx" in text
    assert "LIKE" not in str(queryset.query)
