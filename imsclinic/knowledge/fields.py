"""`KnowledgeIdField`: a model field holding a knowledge-base id, validated on save.

The one Django adapter of the knowledge package (the engines stay Django-free; this module is
only imported by models). The field is a CharField whose validator refuses any value that is not
an id of its kind in the knowledge base, so `full_clean()`, ModelForms and the actions that call
`validate_knowledge_ids` all refuse "multifidus" or a made-up condition with a plain message.

Migrations record only `kind` and `max_length`: the set of valid ids is read from the knowledge
base at validation time, so adding a muscle to the YAML needs no migration.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.deconstruct import deconstructible

from .validation import KNOWLEDGE_ID_KINDS, is_known_id, kind_label


@deconstructible
class KnowledgeIdValidator:
    """Refuses a value that is not a knowledge id of `kind`."""

    def __init__(self, kind: str) -> None:
        if kind not in KNOWLEDGE_ID_KINDS:
            raise ValueError(f"unknown knowledge id kind {kind!r}")
        self.kind = kind

    def __call__(self, value: Any) -> None:
        if value in (None, ""):
            return  # blank is the field's own business (blank=True or required)
        if not is_known_id(self.kind, value):
            raise ValidationError(
                "%(value)s is not a known %(label)s.",
                code="unknown_knowledge_id",
                params={"value": value, "label": kind_label(self.kind)},
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, KnowledgeIdValidator) and other.kind == self.kind

    def __hash__(self) -> int:
        return hash(self.kind)


class KnowledgeIdField(models.CharField):
    """A CharField holding a knowledge id of one kind (muscle, condition, hazard, instrument ...)."""

    description = "A knowledge-base id"

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        self.kind = kind
        kwargs.setdefault("max_length", 80)
        super().__init__(*args, **kwargs)
        self.validators.append(KnowledgeIdValidator(kind))

    def deconstruct(self) -> tuple[str, str, list[Any], dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()
        kwargs["kind"] = self.kind
        return name, path, args, kwargs


def validate_knowledge_ids(instance: models.Model) -> None:
    """Run every KnowledgeIdField's check on an instance; raises ValidationError per field.

    For actions that save with `objects.create()` or `bulk_create()` without `full_clean()`.
    """
    errors: dict[str, list[ValidationError]] = {}
    for field in instance._meta.concrete_fields:
        if isinstance(field, KnowledgeIdField):
            try:
                for validator in field.validators:
                    if isinstance(validator, KnowledgeIdValidator):
                        validator(getattr(instance, field.attname))
            except ValidationError as exc:
                errors.setdefault(field.name, []).append(exc)
    if errors:
        raise ValidationError(errors)
