"""Abstract bases shared by every clinical area.

Records are exposed by UUID, never by integer id (an integer id invites enumeration), and every
row knows when it was created and last changed.
"""

import uuid

from django.db import models


class PublicIdModel(models.Model):
    """A model whose rows are addressed from outside (URLs, API, FHIR) by a random UUID."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        abstract = True


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
