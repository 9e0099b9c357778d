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
