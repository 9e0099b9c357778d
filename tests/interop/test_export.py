"""Bulk NDJSON and CSV exports: the demo clinic's data exports and every line validates."""

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command

from imsclinic.audit.models import AuditEvent
from imsclinic.billing.models import Claim, Coverage, Invoice, InvoiceLine, Payment
from imsclinic.clinical.models import (
    AdverseEvent,
    Assessment,
    Consent,
    CourseOfCare,
    NeedlingRow,
    TreatmentSession,
)
from imsclinic.core.downloads import safe_cell
from imsclinic.gateway import actions as token_actions
from imsclinic.interop.fhir import collect
from imsclinic.interop.fhir.collect import everything_bundle
from imsclinic.interop.fhir.common import fhir_class, to_dict
from imsclinic.outcomes.models import QuestionnaireResponse
from imsclinic.patients.models import Patient
from imsclinic.web.demo import build_demo
from tests.interop.conftest import bearer
from tests.module_data import rolled_back_for_the_module

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """One demo network for the module's tests (each test's own writes roll back)."""
    with rolled_back_for_the_module(django_db_blocker):
        yield build_demo(patients=12, seed=3)


def test_demo_bulk_export_writes_one_ndjson_per_type_and_every_line_validates(demo, tmp_path):
    out = io.StringIO()
    call_command("export", "fhir", "--out", str(tmp_path), "--no-progress", stdout=out)
    files = {path.stem: path for path in tmp_path.glob("*.ndjson")}
    assert {"Patient", "Organization", "Practitioner", "PractitionerRole"} <= set(files)
    # Every kind of record the demo steps created shows up as its FHIR type.
    expected = {
        "Encounter": TreatmentSession.objects.exists() or Assessment.objects.exists(),
        "Procedure": NeedlingRow.objects.exists(),
        "CarePlan": CourseOfCare.objects.exists(),
        "Consent": Consent.objects.exists(),
        "AdverseEvent": AdverseEvent.objects.exists(),
        "QuestionnaireResponse": QuestionnaireResponse.objects.exists(),
    }
    assert {kind for kind, present in expected.items() if present} <= set(files)
    # The demo clinic's billing (issue 16): invoices, payments, coverage and a paid claim.
    billing = {
        "Invoice": Invoice,
        "ChargeItem": InvoiceLine,
        "PaymentReconciliation": Payment,
        "Coverage": Coverage,
        "Claim": Claim,
    }
    for kind, model_class in billing.items():
        assert model_class.objects.exists(), f"the demo has no {model_class.__name__}"
        lines = files[kind].read_text(encoding="utf-8").splitlines()
        assert len(lines) == model_class.objects.count(), kind
    assert Claim.objects.filter(status="paid").count() == len(
        files["ClaimResponse"].read_text(encoding="utf-8").splitlines()
    )
    assert not list(tmp_path.glob(".*.part")), "no temporary files left behind"
    seen, refs = set(), set()
    for kind, path in files.items():
        model_class = fhir_class(kind)
        for line in path.read_text(encoding="utf-8").splitlines():
            data = json.loads(line)
            assert data["resourceType"] == kind
            # Valid, and exactly what the R4B class itself serialises (the mappers build dicts).
            assert (
                model_class.model_validate(data).model_dump(mode="json", exclude_none=True) == data
            )
            assert (kind, data["id"]) not in seen
            seen.add((kind, data["id"]))
            refs.update(_references(data))
    unresolved = {r for r in refs if tuple(r.split("/", 1)) not in seen}
    assert not unresolved, f"references to nothing in the export: {sorted(unresolved)[:5]}"
    patients = sum(1 for _ in files["Patient"].open())
    assert patients == Patient.objects.count()
    assert "Patient.ndjson" in out.getvalue()
    assert AuditEvent.objects.filter(action="export.fhir_ndjson").count() == 2  # two clinics


def _references(value):
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                yield item
            else:
                yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


def test_demo_everything_bundles_validate(demo):
    for patient in Patient.objects.select_related("clinic")[:12]:
        bundle = to_dict(everything_bundle(patient))
        fhir_class("Bundle").model_validate(bundle)
        for entry in bundle["entry"]:
            resource = entry["resource"]
            parsed = fhir_class(resource["resourceType"]).model_validate(resource)
            assert parsed.model_dump(mode="json", exclude_none=True) == resource
        types = {entry["resource"]["resourceType"] for entry in bundle["entry"]}
        assert {"Patient", "Organization"} <= types


def test_a_streamed_bundle_is_the_bundle(demo, monkeypatch):
    """`everything_json` sends the same Bundle as `everything_bundle`, in pieces, with
    `resourceType` first and the `total` it counted."""
    monkeypatch.setattr(collect, "STREAM_PIECE", 4000)
    pieces_per_patient = []
    for patient in Patient.objects.select_related("clinic")[:12]:
        for signed_only, billing in ((False, True), (True, False)):
            options = {"base_url": "https://x.test/fhir", "signed_only": signed_only}
            pieces = list(collect.everything_json(patient, billing=billing, **options))
            pieces_per_patient.append(len(pieces))
            text = b"".join(pieces).decode()
            assert text.startswith('{"resourceType":"Bundle",')
            streamed = json.loads(text)
            whole = collect.everything_bundle(patient, billing=billing, **options)
            assert streamed.pop("timestamp") and whole.pop("timestamp")
            assert streamed == whole
            assert streamed["total"] == len(streamed["entry"])
    assert max(pieces_per_patient) > 1, "a long Bundle is sent in several pieces"


def test_export_command_refuses_unknown_clinic(tmp_path, clinic_a):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No clinic"):
        call_command("export", "fhir", "--out", str(tmp_path), "--clinic", "nope")


def test_csv_export_command_writes_tables_per_clinic(full_record, tmp_path, clinic_b):
    call_command(
        "export", "csv", "--out", str(tmp_path), "--clinic", "clinic-a", stdout=io.StringIO()
    )
    folder = tmp_path / "clinic-a"
    names = {p.stem for p in folder.glob("*.csv")}
    assert {"patients", "sessions", "needling_rows", "outcomes", "adverse_events"} <= names
    rows = list(csv.DictReader((folder / "needling_rows.csv").open(encoding="utf-8")))
    assert [r["muscle_id"] for r in rows] == ["gluteus_medius", "lumbar_multifidus_l5"]
    patients = list(csv.DictReader((folder / "patients.csv").open(encoding="utf-8")))
    assert len(patients) == 1 and not (tmp_path / "clinic-b").exists()


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+1 403", "'+1 403"),
        ("-5", "-5"),
        ("@x", "'@x"),
        ("plain", "plain"),
        (None, ""),
        (["L5-R"], '["L5-R"]'),
    ],
)
def test_csv_cells_cannot_run_as_formulas(value, expected):
    assert safe_cell(value) == expected


def test_csv_api_is_for_clinic_admins_and_audited(client, olivia, alice, full_record):
    _, admin = token_actions.create_personal_token(user=olivia, by=olivia, name="t")
    _, practitioner = token_actions.create_personal_token(user=alice, by=alice, name="t")
    assert client.get("/api/v1/exports/csv", **bearer(practitioner)).status_code == 403
    response = client.get("/api/v1/exports/csv", **bearer(admin))
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert "patients.csv" in archive.namelist()
    assert AuditEvent.objects.filter(action="export.csv", actor_username="olivia").exists()


def test_fhir_bulk_api_zip_and_single_type(client, olivia, full_record, carol, clinic_b):
    _, admin = token_actions.create_personal_token(user=olivia, by=olivia, name="t")
    response = client.get("/api/v1/fhir/$export", **bearer(admin))
    assert response.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert "Procedure.ndjson" in names
    single = client.get("/api/v1/fhir/$export?_type=Procedure", **bearer(admin))
    assert single["Content-Type"] == "application/fhir+ndjson"
    lines = b"".join(single.streaming_content).decode().splitlines()
    assert len(lines) == 2
    assert client.get("/api/v1/fhir/$export?_type=Nope", **bearer(admin)).status_code == 422
    # An admin of clinic A asking for clinic B's export: 404, as if it did not exist.
    other = client.get(f"/api/v1/fhir/$export?clinic={clinic_b.uuid}", **bearer(admin))
    assert other.status_code == 404


def test_write_ndjson_leaves_no_partial_file_on_failure(
    full_record, tmp_path, monkeypatch, clinic_a
):
    from imsclinic.interop import bulk

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(bulk, "to_json", boom)
    with pytest.raises(RuntimeError):
        bulk.write_ndjson([clinic_a], Path(tmp_path))
    assert not list(tmp_path.glob("*.ndjson"))
