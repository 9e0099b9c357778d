"""What every signed clinical record shares: signing fields, the lock, and the paired-field rule."""

from django.conf import settings
from django.db import models


class RecordLocked(Exception):
    """Raised when something tries to change a signed record. Corrections are addenda."""


class SignableQuerySet(models.QuerySet):
    def signed(self):
        return self.filter(signed_at__isnull=False)

    def unsigned(self):
        return self.filter(signed_at__isnull=True)


class SignableModel(models.Model):
    """A record that a practitioner signs. Once signed, `save()` refuses any change.

    The lock is checked against the database row, not the instance, so a stale copy loaded before
    signing cannot overwrite the signed version either. The only write allowed on a signed row is
    none at all: corrections are `Addendum` rows that point at it.
    """

    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.assert_editable()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self.assert_editable()
        return super().delete(*args, **kwargs)

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    def assert_editable(self) -> None:
        """Raise RecordLocked if the stored row is signed."""
        if self.pk is None:
            return
        stored = type(self)._base_manager.filter(pk=self.pk).values_list("signed_at", flat=True)
        if stored and stored[0] is not None:
            raise RecordLocked(
                f"This {self._meta.verbose_name} was signed and is locked; add an addendum instead."
            )


def signed_pair_constraint(prefix: str) -> models.CheckConstraint:
    """signed_at and signed_by are both set or both empty."""
    return models.CheckConstraint(
        condition=(
            models.Q(signed_at__isnull=True, signed_by__isnull=True)
            | models.Q(signed_at__isnull=False, signed_by__isnull=False)
        ),
        name=f"{prefix}_signed_pair",
        violation_error_message="A signature needs both who signed and when.",
    )


class ChildOfSigned(models.Model):
    """A row that belongs to a signable parent (`locked_parent`): locked with it."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self._check_parent()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._check_parent()
        return super().delete(*args, **kwargs)

    @property
    def locked_parent(self):  # pragma: no cover - overridden
        raise NotImplementedError

    def _check_parent(self) -> None:
        parent = self.locked_parent
        if parent is not None:
            parent.assert_editable()
