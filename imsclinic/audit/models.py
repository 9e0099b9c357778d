"""The audit trail: explicit events from actions, and a log of every chart access.

Both tables are append-only and chained per clinic (plus one chain for network-level events with
no clinic): each row carries its chain, a sequence number within it, the hash of the row before it
and an HMAC of its own content under a key kept outside the database (`audit.keys`). Editing,
removing or re-sealing any row without the key breaks the chain (`imsclinic audit verify`), and the
chain heads anchored outside the database catch a cut-off tail (`audit.anchor`). Database triggers
refuse UPDATE and DELETE; the model layer refuses them too, so the mistake is caught in tests
before it ever reaches a database.

Rows hold no foreign keys on purpose: deleting a user or clinic must never be blocked by, or
cascade into, the record of what they did.
"""

from django.db import models

from imsclinic.audit import chain


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise chain.AppendOnlyError(f"{self.model.__name__} rows are append-only.")

    def delete(self):
        raise chain.AppendOnlyError(f"{self.model.__name__} rows are append-only.")


NETWORK_CHAIN = 0  # the chain of events that belong to no clinic


class ChainedRow(models.Model):
    """A row that links to its predecessor in its clinic's chain by hash."""

    at = models.DateTimeField(db_index=True)
    chain = models.BigIntegerField(
        default=NETWORK_CHAIN, help_text="The clinic whose chain holds this row (0: network)"
    )
    seq = models.BigIntegerField(help_text="Position in the chain, from 1, without gaps")
    prev_hash = models.CharField(max_length=64)
    row_hash = models.CharField(max_length=64, unique=True)

    objects = AppendOnlyQuerySet.as_manager()

    # Field names covered by the hash, in a fixed order. Subclasses list theirs.
    HASHED_FIELDS: tuple[str, ...] = ()
    # Which log this is, in chain-head rows and messages.
    LOG = ""
    LOG_LABEL = ""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise chain.AppendOnlyError(f"{type(self).__name__} rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise chain.AppendOnlyError(f"{type(self).__name__} rows are append-only.")

    def hashed_content(self) -> dict:
        content = {name: getattr(self, name) for name in self.HASHED_FIELDS}
        content.update(log=self.LOG, chain=self.chain, seq=self.seq)
        return content

    def chain_for(self) -> int:
        return self.clinic_id or NETWORK_CHAIN


class AuditEvent(ChainedRow):
    """Something an action did to a record: created, changed, signed, exported, printed."""

    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_username = models.CharField(max_length=150, blank=True)
    clinic_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    action = models.CharField(max_length=80, db_index=True)
    target_type = models.CharField(max_length=80, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    patient_uuid = models.UUIDField(null=True, blank=True, db_index=True)
    summary = models.CharField(max_length=300, blank=True)
    details = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    content_hash = models.CharField(
        max_length=64,
        blank=True,
        help_text="SHA-256 of a signed record's content at signing (audit.signed_content)",
    )

    LOG = "events"
    LOG_LABEL = "audit events"
    HASHED_FIELDS = (
        "at",
        "actor_id",
        "actor_username",
        "clinic_id",
        "action",
        "target_type",
        "target_id",
        "patient_uuid",
        "summary",
        "details",
        "ip_address",
        "content_hash",
    )

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["clinic_id", "-at"])]
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="audit_event_chain_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_username or 'system'} {self.action}"


class ChartAccess(ChainedRow):
    """One view of a patient's chart: who, in which role, at which clinic, what, from where."""

    user_id = models.BigIntegerField(null=True, blank=True)
    username = models.CharField(max_length=150)
    roles = models.CharField(max_length=100, help_text="Roles held at the clinic, comma-separated")
    clinic_id = models.BigIntegerField(db_index=True)
    patient_uuid = models.UUIDField()
    what = models.CharField(max_length=80, help_text="Which part of the chart, e.g. chart.summary")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    LOG = "access"
    LOG_LABEL = "access log"
    HASHED_FIELDS = (
        "at",
        "user_id",
        "username",
        "roles",
        "clinic_id",
        "patient_uuid",
        "what",
        "ip_address",
        "user_agent",
    )

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "chart accesses"
        indexes = [
            # The chart's access log: this patient's rows, newest first, a page at a time (the
            # rows of one chain are numbered in the order they were written).
            models.Index(fields=["patient_uuid", "-id"], name="chartaccess_patient_idx"),
            # "Recently opened charts" on Today: this user's latest rows at this clinic.
            models.Index(fields=["user_id", "clinic_id", "-id"], name="chartaccess_recent_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="audit_access_chain_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} opened {self.what}"


class ChainHead(models.Model):
    """The last row of one chain: its sequence number and hash.

    An append locks this row (SELECT ... FOR UPDATE) as the last lock of its transaction, so
    appends to one clinic's chain are serialised while other clinics append in parallel, and no
    append ever scans the log for its predecessor.
    """

    log = models.CharField(max_length=10)
    chain = models.BigIntegerField()
    seq = models.BigIntegerField(default=0)
    row_hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["log", "chain"], name="audit_chainhead_log_chain"),
        ]

    def __str__(self) -> str:
        return f"{self.log} chain {self.chain} at {self.seq}"
