from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ClinicalConfig(AppConfig):
    name = "imsclinic.clinical"
    label = "clinical"

    def ready(self):
        from imsclinic.clinical.evidence import has_signed_assessment
        from imsclinic.patients.chart import ChartTab, register_tab
        from imsclinic.scheduling.models import ASSESSMENT_EVIDENCE

        if has_signed_assessment not in ASSESSMENT_EVIDENCE:
            ASSESSMENT_EVIDENCE.append(has_signed_assessment)

        _register_signed_content()

        register_tab(ChartTab("assessment", "Assessment", "clinical:assessment-tab", clinical=True))
        register_tab(ChartTab("course", "Course", "clinical:course", clinical=True))
        register_tab(ChartTab("sessions", "Sessions", "clinical:sessions", clinical=True))

        from imsclinic.clinical import locks

        locks.register()
        post_migrate.connect(
            locks.install_after_migrate, sender=self, dispatch_uid="clinical-locks"
        )


def _register_signed_content():
    """What a signature covers: the audit event of each sign action records a hash of these
    fields (audit.signed_content), and `imsclinic audit verify` names any record that changed."""
    from imsclinic.audit import signed_content
    from imsclinic.clinical.models import Assessment, Consent, TreatmentSession

    signed = ("uuid", "patient_id", "clinic_id", "practitioner_id", "signed_at", "signed_by_id")
    signed_content.register(
        TreatmentSession,
        fields=signed
        + (
            "session_number",
            "started_at",
            "duration_minutes",
            "pain_before",
            "pain_after",
            "needles_in",
            "needles_out",
            "precheck",
            "clean_technique",
            "aftercare_given",
            "notes",
            "lamina_technique",
            "active_precautions",
        ),
        children={
            "retests": ("id", "what", "before", "after"),
            "needling_rows": (
                "id",
                "order",
                "muscle_id",
                "side",
                "paraspinal_level",
                "insertions",
                "depth_mm",
                "needle_gauge",
                "needle_length_mm",
                "lot_number",
                "response",
                "tolerance",
                "depth_acknowledged",
            ),
        },
    )
    signed_content.register(
        Assessment,
        fields=signed
        + (
            "assessed_on",
            "pain_pattern",
            "onset",
            "duration_months",
            "treatments_tried",
            "medications",
            "comorbidities",
            "screening_answers",
            "screening_source",
            "screening_confirmed",
            "body_chart",
            "gunn_signs",
            "range_of_motion",
            "enlarged_nerves",
            "temperature_difference_c",
            "temperature_site",
            "working_diagnosis",
            "icd10_codes",
            "condition_id",
            "accepted_segments",
            "active_precautions",
        ),
        children={
            "findings": ("id", "muscle_id", "side", "grade"),
            "level_findings": ("id", "structure", "level", "side", "state"),
        },
    )
    signed_content.register(
        Consent,
        fields=(
            "uuid",
            "patient_id",
            "clinic_id",
            "text_version_id",
            "explained_by_id",
            "signature_name",
            "signer_relationship",
            "mature_minor_assessment",
            "signed_at",
            "covers_thorax",
        ),
    )
