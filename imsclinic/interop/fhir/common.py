"""Shared pieces of the FHIR mapping: the FHIR version, code systems, ids, references, JSON.

FHIR version. fhir.resources 8.x builds FHIR R5 from its top-level modules
(`fhir.resources.patient`); the R4-family models live in `fhir.resources.R4B` (FHIR 4.3.0).
R4B changed none of the resources we export relative to R4 4.0.1 (its changes are in
medication-definition and evidence resources), so every resource is checked against the R4B
classes. docs/api.md records this choice.

Building and validation. The mappers build plain JSON-ready dicts (`build`): constructing and
serialising pydantic models cost several seconds for a 500-session patient's $everything (about
4,600 resources), while the dicts take milliseconds. The guarantee that every exported resource
validates is kept by the tests, which parse every exported resource back with its R4B class and
check that the class's own serialisation equals ours (tests/interop). At run time, validation is
on when settings.FHIR_VALIDATE is true (env IMSCLINIC_FHIR_VALIDATE, for debugging a mapping) or
inside `strict_validation()` (the `validate=true` query parameter of $everything): then `build`
raises pydantic.ValidationError for an invalid resource, as construction used to.

Ids. Every resource id is the UUID of the record it comes from. Resources derived from part of a
record (a Procedure per needling row, pain Observations of a session, Conditions per ICD-10 code)
use "<record uuid>-<suffix>", which stays stable, fits FHIR's 64-character id rule and lets a
read endpoint find the record again without exposing database integers.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import functools
import importlib
import json
import re

from django.conf import settings

FHIR_VERSION = "4.3.0"  # R4B, the R4-family release that fhir.resources ships (see above)
FHIR_JSON = "application/fhir+json"
FHIR_NDJSON = "application/fhir+ndjson"

# Project-local code systems for concepts with no verified standard code (clinical.md §6.1: no
# SNOMED CT concept for dry needling/IMS or per-muscle body structures could be verified).
LOCAL = "https://imsclinic.invalid/fhir"
CS_MUSCLE = f"{LOCAL}/CodeSystem/muscle"
CS_PROCEDURE = f"{LOCAL}/CodeSystem/procedure"
CS_INSTRUMENT_SCORE = f"{LOCAL}/CodeSystem/instrument-score"
CS_ADVERSE_EVENT = f"{LOCAL}/CodeSystem/adverse-event"
CS_SEGMENT = f"{LOCAL}/CodeSystem/spinal-segment"
CS_KNOWLEDGE_CONDITION = f"{LOCAL}/CodeSystem/condition"
EXT_LATERALITY = f"{LOCAL}/StructureDefinition/laterality"
EXT_NEEDLING = f"{LOCAL}/StructureDefinition/needling-detail"
# Billing (issue 16): local systems for the clinic's services, invoice kinds and amounts, tax
# codes and payment methods, and extensions for what R4 Invoice/PaymentReconciliation lack.
CS_SERVICE = f"{LOCAL}/CodeSystem/service"
CS_INVOICE_KIND = f"{LOCAL}/CodeSystem/invoice-kind"
CS_INVOICE_AMOUNT = f"{LOCAL}/CodeSystem/invoice-amount"
CS_TAX_CODE = f"{LOCAL}/CodeSystem/tax-code"
CS_PAYMENT_METHOD = f"{LOCAL}/CodeSystem/payment-method"
CS_CLAIM_STATUS = f"{LOCAL}/CodeSystem/claim-status"
EXT_CORRECTS = f"{LOCAL}/StructureDefinition/corrects"
EXT_COVERAGE = f"{LOCAL}/StructureDefinition/coverage"
EXT_PAYMENT_METHOD = f"{LOCAL}/StructureDefinition/payment-method"

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
UCUM = "http://unitsofmeasure.org"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
CONSENT_CATEGORY = LOINC
ADVERSE_EVENT_SEVERITY = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
ADVERSE_EVENT_SERIOUSNESS = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
LANGUAGE = "urn:ietf:bcp:47"
ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
SUBSCRIBER_RELATIONSHIP = "http://terminology.hl7.org/CodeSystem/subscriber-relationship"
COVERAGE_CLASS = "http://terminology.hl7.org/CodeSystem/coverage-class"
PAYMENT_TYPE = "http://terminology.hl7.org/CodeSystem/payment-type"
CLAIM_TYPE = "http://terminology.hl7.org/CodeSystem/claim-type"
PROCESS_PRIORITY = "http://terminology.hl7.org/CodeSystem/processpriority"
ADJUDICATION = "http://terminology.hl7.org/CodeSystem/adjudication"
V2_0570 = "http://terminology.hl7.org/CodeSystem/v2-0570"  # payment method

LOINC_PAIN_NRS = "72514-3"  # Pain severity - 0-10 verbal numeric rating [Score] - Reported (§6.2)
LOINC_ODI_SCORE = (
    "97909-6"  # Oswestry disability index score (§6.2); other PROMs use CS_INSTRUMENT_SCORE
)

# SNOMED CT laterality qualifiers (the values of the laterality extension).
LATERALITY = {
    "L": ("7771000", "Left"),
    "R": ("24028007", "Right"),
    "B": ("51440002", "Right and left"),
}

_ID_BAD = re.compile(r"[^A-Za-z0-9\-.]")


@functools.cache
def fhir_class(resource_type: str):
    """The R4B model class for a resource type, e.g. fhir_class("Patient")."""
    module = importlib.import_module(f"fhir.resources.R4B.{resource_type.lower()}")
    return getattr(module, resource_type)


_STRICT = contextvars.ContextVar("imsclinic_fhir_strict", default=False)


@contextlib.contextmanager
def strict_validation(enabled: bool = True):
    """Validate every resource built inside this block with its R4B class."""
    token = _STRICT.set(enabled)
    try:
        yield
    finally:
        _STRICT.reset(token)


def validating() -> bool:
    """Whether `build` validates at run time (see the module docstring)."""
    if _STRICT.get():
        return True
    return settings.FHIR_VALIDATE


def validate(resource: dict):
    """Parse a resource dict with the R4B class of its type (raises pydantic.ValidationError)."""
    return fhir_class(resource["resourceType"]).model_validate(resource)


def build(resource_type: str, data: dict) -> dict:
    """A FHIR resource as a JSON-ready dict: `data` with empty elements pruned.

    Validated with its R4B class when `validating()` (raises pydantic.ValidationError when
    invalid); the tests validate every exported resource either way.
    """
    resource = {"resourceType": resource_type, **prune(data)}
    if validating():
        validate(resource)
    return resource


def resource_type(resource) -> str:
    return resource["resourceType"]


def prune(value):
    """Drop None, empty strings, lists and dicts recursively: FHIR forbids empty elements.

    Always returns new containers, so shared constants (codings, cached references) are never
    aliased between resources. It runs over every exported element, hence the exact-type fast
    paths; 0 and False are values and stay.
    """
    if isinstance(value, dict):
        return _prune_dict(value)
    if isinstance(value, list | tuple):
        return _prune_list(value)
    return value


def _pruned(item):
    """(keep, item) for one element: containers pruned, empty ones and None/"" dropped."""
    kind = type(item)
    if kind is dict:
        item = _prune_dict(item)
        return bool(item), item
    if kind is list or kind is tuple:
        item = _prune_list(item)
        return bool(item), item
    if item is None:
        return False, item
    if kind is str or kind is int or kind is float or kind is bool:
        return item != "", item
    if isinstance(item, dict | list | tuple):  # subclasses
        item = prune(item)
        return bool(item), item
    return not (isinstance(item, str) and not item), item


def _prune_dict(value: dict) -> dict:
    result = {}
    for key, item in value.items():
        kind = type(item)
        if kind is str:
            if item:
                result[key] = item
        elif kind is dict:
            item = _prune_dict(item)
            if item:
                result[key] = item
        elif kind is int or kind is float or kind is bool:
            result[key] = item
        else:
            keep, item = _pruned(item)
            if keep:
                result[key] = item
    return result


def _prune_list(value) -> list:
    result = []
    for item in value:
        keep, item = _pruned(item)
        if keep:
            result.append(item)
    return result


def to_dict(resource) -> dict:
    """A resource as JSON-ready data: a built dict as it is, an R4B model dumped."""
    if isinstance(resource, dict):
        return resource
    return resource.model_dump(mode="json", exclude_none=True)


def to_json(resource) -> str:
    return json.dumps(to_dict(resource), ensure_ascii=False, separators=(",", ":"))


def fhir_id(value: str) -> str:
    """A FHIR-legal id from a knowledge id such as "quick_dash" (underscores are not allowed)."""
    return _ID_BAD.sub("-", str(value))[:64]


def ref(resource_type: str, resource_id, display: str | None = None) -> dict:
    reference = {"reference": f"{resource_type}/{resource_id}"}
    if display:
        reference["display"] = display
    return reference


def coding(system: str, code: str, display: str | None = None) -> dict:
    return {"system": system, "code": code, "display": display}


def concept(*codings: dict, text: str | None = None) -> dict:
    return {"coding": list(codings), "text": text}


def instant(value: datetime.datetime | None) -> str | None:
    """An aware datetime as FHIR dateTime/instant text (UTC, seconds precision)."""
    if value is None:
        return None
    # "Z", not "+00:00": the form fhir.resources serialises, so built and validated output match.
    return value.astimezone(datetime.UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def money(value, currency: str) -> dict:
    """FHIR Money from a Decimal amount: a JSON number, as fhir.resources serialises decimals.

    A float is exact enough here: amounts have two places and at most 12 digits, so the
    shortest float text reads back to the same cents (Decimal(str(value)) in a client); -0.0
    (a credit note's zero tax) is written 0.0."""
    return {"value": float(value) or 0.0, "currency": currency}


def uuid_reference(value) -> dict:
    """An Identifier naming a record by its UUID (for records that are not FHIR resources)."""
    return {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{value}"}


def day(value: datetime.date | None) -> str | None:
    return value.isoformat() if value else None


def chart_number_system(clinic) -> str:
    """The identifier system for a clinic's chart numbers."""
    return f"{settings.SITE_URL.rstrip('/')}/fhir/sid/chart-number/{clinic.uuid}"


def muscle_name(muscle_id: str) -> str:
    """Readable muscle name from the knowledge base, or the id itself for an unknown muscle."""
    from imsclinic.knowledge import load_knowledge

    muscle = load_knowledge().muscles.get(muscle_id)
    return muscle.name if muscle else muscle_id.replace("_", " ")


ICD10_SYSTEMS = {
    "who": ICD10,
    "cm": "http://hl7.org/fhir/sid/icd-10-cm",
    # ICD-10-CA equals WHO ICD-10 at the 4-character level (clinical.md §6.3).
    "ca": ICD10,
}


def icd10_coding(code: str) -> dict:
    """A Coding for an ICD-10 code, with its system and title when the knowledge base has it."""
    from imsclinic.knowledge import load_knowledge

    code = str(code).strip()
    for condition in load_knowledge().conditions.values():
        for icd in condition.icd10:
            if icd.code == code:
                return coding(ICD10_SYSTEMS.get(icd.system, ICD10), code, icd.title)
    # Unknown to the knowledge base: WHO ICD-10 for 3-4 character codes (A00 / A00.0),
    # ICD-10-CM for the longer US codes (M54.50).
    system = ICD10 if re.fullmatch(r"[A-Z][0-9]{2}(\.[0-9A-Z])?", code) else ICD10_SYSTEMS["cm"]
    return coding(system, code)
