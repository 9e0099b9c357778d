"""API shapes for patients: separate input and output schemas."""

import datetime
import uuid

from ninja import Field, Schema

from imsclinic.core.validation import SafeText


class PatientPublic(Schema):
    uuid: uuid.UUID
    chart_number: str
    given_name: str
    family_name: str
    preferred_name: str
    date_of_birth: datetime.date
    sex: str
    phone: str
    email: str
    preferred_language: str
    clinic: uuid.UUID = Field(..., alias="clinic.uuid")


class PatientCreate(Schema):
    # SafeText: no control characters (core/validation.py), stated in the OpenAPI schema too.
    given_name: SafeText = Field(..., min_length=1, max_length=100)
    family_name: SafeText = Field(..., min_length=1, max_length=100)
    preferred_name: SafeText = Field("", max_length=100)
    date_of_birth: datetime.date
    sex: str = Field("unknown", pattern="^(female|male|other|unknown)$")
    phone: SafeText = Field("", max_length=40)
    email: SafeText = Field("", max_length=254)
    preferred_language: SafeText = Field("en", max_length=8)
    clinic: uuid.UUID | None = Field(None, description="Defaults to the user's only clinic")


class PractitionerPublic(Schema):
    uuid: uuid.UUID
    username: str
    display_name: str


class DuplicateCandidate(Schema):
    patient: PatientPublic
    reasons: list[str] = Field(..., description="Why this chart may be the same person")
    exact: bool = Field(..., description="Same name and birth date, and the same email or phone")


class MergeRequest(Schema):
    duplicate: uuid.UUID = Field(..., description="The chart merged into this one (it is closed)")


class MergeOutcome(Schema):
    survivor: PatientPublic
    moved: dict[str, int] = Field(..., description="Records moved to the survivor, by kind")
    kept: dict[str, int] = Field(
        ...,
        description="Records kept on the old chart because signed records cannot change, by kind",
    )


class MergeRefusal(Schema):
    detail: str = Field(..., description="Why the charts were not merged; nothing moved")
