"""The clinic's policies (`Clinic.policies`), as one schema validated on save.

Each key here is read somewhere with `clinic.policy(key, default)`; the defaults below are the
same as at those readers (tests/clinics/test_policies.py checks them against the readers), so a
clinic that never saved its settings behaves exactly as one that saved the defaults. Saving
refuses anything the schema does not accept, with a message per field: nothing is silently
replaced by a default.

Readers:
- cancellation_hours: scheduling.models.cancellation_hours (patients' own cancellations)
- online_min_notice_hours: scheduling.actions (online booking notice)
- reminder_lead_hours: scheduling.models.reminder_lead_hours (a list: one reminder per lead time)
- late_cancel_fee / no_show_fee: billing, which charges them when the flags are on
- screening: screening.services.clinic_policy (knowledge.validate_policy decides the keys)
- consent_min_age: clinical.consent_rules.consent_min_age
- course_rules: outcomes.policy.course_rules
- thorax_bilateral_paraspinals_on_lamina: clinical.safety (knowledge needling_limits.yaml)
"""

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from imsclinic.knowledge import validate_policy

FIELD_LABELS = {
    "cancellation_hours": "Cancellation window",
    "online_min_notice_hours": "Online booking notice",
    "reminder_lead_hours": "Reminders",
    "flag_late_cancellations": "Flag late cancellations",
    "late_cancel_fee": "Late-cancellation fee",
    "flag_no_shows": "Flag no-shows",
    "no_show_fee": "No-show fee",
    "screening": "Screening policy",
    "consent_min_age": "Age of consent",
    "course_rules": "Course rules",
    "thorax_bilateral_paraspinals_on_lamina": "Bilateral thoracic paraspinals",
}

Fee = Annotated[Decimal, Field(ge=0, le=10000, max_digits=8, decimal_places=2)]
# A reminder goes out this many hours before a visit: at least an hour, at most two weeks (the
# reminder run looks two weeks ahead).
MAX_REMINDER_LEAD_HOURS = 24 * 14
MAX_REMINDERS = 4
LeadHours = Annotated[int, Field(ge=1, le=MAX_REMINDER_LEAD_HOURS, strict=True)]


class ClinicPolicies(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)

    cancellation_hours: Annotated[int, Field(ge=0, le=24 * 14)] = 24
    online_min_notice_hours: Annotated[int, Field(ge=0, le=24 * 14)] = 12
    reminder_lead_hours: Annotated[
        list[LeadHours], Field(min_length=1, max_length=MAX_REMINDERS)
    ] = Field(default_factory=lambda: [24])
    flag_late_cancellations: bool = False
    late_cancel_fee: Fee = Decimal("0.00")
    flag_no_shows: bool = False
    no_show_fee: Fee = Decimal("0.00")
    screening: dict = Field(default_factory=dict)
    consent_min_age: Annotated[int, Field(ge=0, le=19)] = 16
    course_rules: dict = Field(default_factory=dict)
    thorax_bilateral_paraspinals_on_lamina: bool = False
    # The currency invoices and prices are in (ISO 4217); billing reads it.
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "CAD"

    @field_validator("screening")
    @classmethod
    def _screening_known_to_the_knowledge_base(cls, value: dict) -> dict:
        errors = validate_policy(value)
        if errors:
            raise ValueError("; ".join(f"{key}: {message}" for key, message in errors.items()))
        return value

    @field_validator("reminder_lead_hours")
    @classmethod
    def _distinct_lead_times(cls, value: list[int]) -> list[int]:
        repeated = sorted({hours for hours in value if value.count(hours) > 1})
        if repeated:
            raise ValueError(
                "Each reminder time may appear once; repeated: "
                + ", ".join(f"{hours} hours" for hours in repeated)
                + "."
            )
        return sorted(value, reverse=True)

    def to_json(self) -> dict:
        """What is stored in Clinic.policies: fees as Decimal strings, as billing reads them."""
        return self.model_dump(mode="json")


class PolicyError(Exception):
    """The policies did not validate; `errors` maps a field name (or "__all__") to a message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def validate_policies(data: dict) -> ClinicPolicies:
    """The validated policies, or PolicyError with a plain message per field."""
    try:
        return ClinicPolicies.model_validate(data)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "__all__"
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                field, message = "__all__", f"“{error['loc'][0]}” is not a clinic policy."
            errors.setdefault(field, message)
        raise PolicyError(errors) from exc


def current_policies(clinic) -> ClinicPolicies:
    """The clinic's stored policies with the defaults for keys it never set (loud if invalid)."""
    return validate_policies(clinic.policies if isinstance(clinic.policies, dict) else {})
