from django.urls import path

from imsclinic.billing import views

app_name = "billing"
urlpatterns = [
    path("patients/<uuid:patient_uuid>/", views.patient_billing, name="patient"),
    path("patients/<uuid:patient_uuid>/coverage/", views.add_coverage, name="coverage-add"),
    path("patients/<uuid:patient_uuid>/invoices/new/", views.new_invoice, name="invoice-new"),
    path(
        "appointments/<uuid:appointment_uuid>/invoice/", views.invoice_visit, name="invoice-visit"
    ),
    path("invoices/<uuid:invoice_uuid>/", views.invoice_detail, name="invoice"),
    path("invoices/<uuid:invoice_uuid>/<slug:step>/", views.invoice_step, name="invoice-step"),
    path(
        "invoices/<uuid:invoice_uuid>/<slug:kind>.pdf",
        views.invoice_document,
        name="invoice-document",
    ),
    path(
        "patients/<uuid:patient_uuid>/statement-<int:year>.pdf",
        views.statement,
        name="statement",
    ),
    path(
        "portal/invoices/<uuid:invoice_uuid>/<slug:kind>.pdf",
        views.portal_document,
        name="portal-document",
    ),
    path("portal/invoices/<uuid:invoice_uuid>/pay/", views.portal_pay, name="portal-pay"),
    path("reports/", views.report_index, name="reports"),
    path("online/webhook/", views.online_webhook, name="online-webhook"),
    path("reports/accountant.csv", views.accountant_export, name="accountant-export"),
    path("reports/<slug:name>/", views.report_page, name="report"),
    path("reports/<slug:name>.csv", views.report_csv, name="report-csv"),
    path("portal/statement-<int:year>.pdf", views.portal_statement, name="portal-statement"),
]
