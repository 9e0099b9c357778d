"""Hashes of signed clinical content, recorded in the audit event that signs it.

An area registers each signable model in its AppConfig.ready (audit imports no area):

    signed_content.register(TreatmentSession, fields=(...), children={"needling_rows": (...)})

A sign action passes the record to `audit.services.record(..., signed_content=record)`, which
stores `content_hash(record)` in the event; the event is sealed into the keyed chain, so the hash
itself cannot be changed quietly. `imsclinic audit verify` re-hashes every signed record
(`problems()`) and names any whose content changed since it was signed.

The hash covers exactly the registered fields, read back from the database (so signing and
verifying see the same types). Adding a field to a registration changes the hash of records
signed before, so a registration's field list is part of the record format: extend it only with
a new `version`.
"""

import hashlib
from dataclasses import dataclass

from imsclinic.audit.chain import canonical_bytes


@dataclass(frozen=True)
class Registration:
    model: type
    fields: tuple[str, ...]
    children: dict  # related name -> fields of each child row
    lookup: str  # the field the audit event's target_id holds
    version: int

    @property
    def name(self) -> str:
        return self.model.__name__


_registry: dict[str, Registration] = {}


def register(model, *, fields, children=None, lookup: str = "uuid", version: int = 1) -> None:
    _registry[model.__name__] = Registration(
        model, tuple(fields), dict(children or {}), lookup, version
    )


def registration_for(instance_or_name) -> Registration:
    name = (
        instance_or_name if isinstance(instance_or_name, str) else type(instance_or_name).__name__
    )
    try:
        return _registry[name]
    except KeyError:
        raise LookupError(f"{name} is not registered as signed content.") from None


def _hash_row(registration: Registration, pk, using: str) -> str | None:
    model = registration.model
    values = model._base_manager.using(using).filter(pk=pk).values(*registration.fields).first()
    if values is None:
        return None
    content = {"model": registration.name, "version": registration.version, "fields": values}
    related = {}
    for name, child_fields in sorted(registration.children.items()):
        relation = model._meta.get_field(name)
        children = relation.related_model._base_manager.using(using).filter(
            **{relation.field.name: pk}
        )
        related[name] = list(children.order_by("pk").values(*child_fields))
    content["children"] = related
    return hashlib.sha256(canonical_bytes(content)).hexdigest()


def content_hash(instance, *, using: str = "default") -> str:
    """SHA-256 of the instance's registered content as stored in the database now."""
    digest = _hash_row(registration_for(instance), instance.pk, using)
    if digest is None:
        raise LookupError(f"{type(instance).__name__} {instance.pk} is not saved.")
    return digest


def problems(*, using: str = "default", progress=None) -> list[str]:
    """Every signed record whose content no longer matches the hash recorded at signing."""
    from imsclinic.audit.models import AuditEvent

    events = (
        AuditEvent.objects.using(using)
        .exclude(content_hash="")
        .order_by("id")
        .values_list("target_type", "target_id", "content_hash", "action", "seq", "chain")
    )
    latest = {}
    for target_type, target_id, digest, action, seq, chain_id in events.iterator(2000):
        latest[(target_type, target_id)] = (digest, action, seq, chain_id)
    found = []
    for (target_type, target_id), (digest, action, seq, chain_id) in sorted(latest.items()):
        if progress:
            progress(1)
        registration = _registry.get(target_type)
        where = f"signed by audit event {action} (row {seq} of chain {chain_id})"
        if registration is None:
            found.append(f"{target_type} {target_id}: not a registered kind of signed record")
            continue
        pk = (
            registration.model._base_manager.using(using)
            .filter(**{registration.lookup: target_id})
            .values_list("pk", flat=True)
            .first()
        )
        if pk is None:
            found.append(f"{registration.model._meta.verbose_name} {target_id}: {where}, is gone")
        elif _hash_row(registration, pk, using) != digest:
            found.append(
                f"{registration.model._meta.verbose_name} {target_id}: {where}, has changed "
                "since it was signed"
            )
    return found
