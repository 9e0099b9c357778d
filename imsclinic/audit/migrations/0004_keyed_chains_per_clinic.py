"""One keyed chain per clinic (docs/adr/0007-keyed-audit-chains.md).

Existing rows were chained with plain SHA-256 in one chain per table. Before they are re-sealed
under the audit key, that old chain is verified: an upgrade must never launder tampering, so a
broken chain stops the migration, naming the row.
"""

import hashlib
import json

from django.db import migrations, models

LEGACY_FIELDS = {
    "AuditEvent": (
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
    ),
    "ChartAccess": (
        "at",
        "user_id",
        "username",
        "roles",
        "clinic_id",
        "patient_uuid",
        "what",
        "ip_address",
        "user_agent",
    ),
}
LOGS = {"AuditEvent": "events", "ChartAccess": "access"}
LEGACY_GENESIS = "0" * 64


def reseal(apps, schema_editor):
    from imsclinic.audit import chain
    from imsclinic.audit.models import AuditEvent, ChartAccess

    current = {"AuditEvent": AuditEvent, "ChartAccess": ChartAccess}
    connection = schema_editor.connection
    using = connection.alias
    ChainHead = apps.get_model("audit", "ChainHead")
    for name, fields in LEGACY_FIELDS.items():
        model = apps.get_model("audit", name)
        heads: dict[int, tuple[int, str]] = {}
        legacy_prev = LEGACY_GENESIS
        batch = []
        for row in model.objects.using(using).order_by("id").iterator(chunk_size=2000):
            content = {field: getattr(row, field) for field in fields}
            payload = json.dumps(
                chain.canonical(content), sort_keys=True, separators=(",", ":"), default=str
            )
            if (
                row.prev_hash != legacy_prev
                or hashlib.sha256((legacy_prev + payload).encode()).hexdigest() != row.row_hash
            ):
                raise RuntimeError(
                    f"The existing audit chain of {name} is broken at row id {row.id}; it will "
                    "not be re-sealed under the audit key. Investigate before upgrading."
                )
            legacy_prev = row.row_hash
            sealed = current[name](
                **{f.attname: getattr(row, f.attname) for f in model._meta.concrete_fields}
            )
            sealed.chain = sealed.chain_for()
            seq, prev = heads.get(sealed.chain, (0, chain.GENESIS))
            sealed.seq = seq + 1
            sealed.prev_hash = prev
            sealed.row_hash = chain.compute_hash(prev, sealed.hashed_content())
            heads[sealed.chain] = (sealed.seq, sealed.row_hash)
            row.chain, row.seq = sealed.chain, sealed.seq
            row.prev_hash, row.row_hash = sealed.prev_hash, sealed.row_hash
            batch.append(row)
            if len(batch) >= 500:
                model.objects.using(using).bulk_update(
                    batch, ["chain", "seq", "prev_hash", "row_hash"]
                )
                batch = []
        if batch:
            model.objects.using(using).bulk_update(batch, ["chain", "seq", "prev_hash", "row_hash"])
        ChainHead.objects.using(using).bulk_create(
            ChainHead(log=LOGS[name], chain=chain_id, seq=seq, row_hash=row_hash)
            for chain_id, (seq, row_hash) in heads.items()
        )


def drop_triggers(apps, schema_editor):
    from imsclinic.audit import triggers

    triggers.drop(schema_editor.connection)


def install_triggers(apps, schema_editor):
    # Also after SQLite's table rebuilds below, which drop a table's triggers with the table.
    from imsclinic.audit import triggers

    triggers.install(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_chart_access_recent_index")]

    operations = [
        migrations.RunPython(drop_triggers, install_triggers),
        migrations.AddField(
            model_name="auditevent",
            name="chain",
            field=models.BigIntegerField(
                default=0, help_text="The clinic whose chain holds this row (0: network)"
            ),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(null=True),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="content_hash",
            field=models.CharField(
                blank=True,
                default="",
                help_text="SHA-256 of a signed record's content at signing (audit.signed_content)",
                max_length=64,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="chartaccess",
            name="chain",
            field=models.BigIntegerField(
                default=0, help_text="The clinic whose chain holds this row (0: network)"
            ),
        ),
        migrations.AddField(
            model_name="chartaccess",
            name="seq",
            field=models.BigIntegerField(null=True),
        ),
        migrations.CreateModel(
            name="ChainHead",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("log", models.CharField(max_length=10)),
                ("chain", models.BigIntegerField()),
                ("seq", models.BigIntegerField(default=0)),
                ("row_hash", models.CharField(max_length=64)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("log", "chain"), name="audit_chainhead_log_chain"
                    )
                ],
            },
        ),
        migrations.RunPython(reseal, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(help_text="Position in the chain, from 1, without gaps"),
        ),
        migrations.AlterField(
            model_name="chartaccess",
            name="seq",
            field=models.BigIntegerField(help_text="Position in the chain, from 1, without gaps"),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(
                fields=("chain", "seq"), name="audit_event_chain_seq"
            ),
        ),
        migrations.AddConstraint(
            model_name="chartaccess",
            constraint=models.UniqueConstraint(
                fields=("chain", "seq"), name="audit_access_chain_seq"
            ),
        ),
        migrations.RunPython(install_triggers, drop_triggers),
    ]
