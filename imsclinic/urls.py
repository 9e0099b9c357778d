from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from imsclinic.api import api

urlpatterns = [
    path("", include("imsclinic.web.urls")),
    path("accounts/", include("imsclinic.accounts.urls")),
    path("patients/", include("imsclinic.patients.urls")),
    path("portal/", include("imsclinic.portal.urls")),
    path("screening/", include("imsclinic.screening.urls")),
    path("clinics/", include("imsclinic.screening.front_urls")),
    path("schedule/", include("imsclinic.scheduling.urls")),
    path("clinical/", include("imsclinic.clinical.urls")),
    path("outcomes/", include("imsclinic.outcomes.urls")),
    path("reports/", include("imsclinic.reports.urls")),
    path("billing/", include("imsclinic.billing.urls")),
    path("interop/", include("imsclinic.interop.urls")),
    path("api-tokens/", include("imsclinic.gateway.urls")),
    path("clinic-admin/", include("imsclinic.clinics.urls")),
    path("profile/", include("imsclinic.clinics.profile_urls")),
    path("api/v1/", api.urls),
]
if settings.DEV_TOOLS:
    # The benchmark's ceiling (/bench/hello): development and `imsclinic bench` servers only.
    urlpatterns.append(path("bench/", include("imsclinic.bench.urls")))

# Django admin is for developers only: it edits rows directly, around the actions' safety rules.
# Production does not route it at all; in development every admin change is audited
# (accounts/admin_audit.py). Clinics work in the app itself.
if not settings.PRODUCTION:
    urlpatterns.append(path("django-admin/", admin.site.urls))

handler400 = "imsclinic.core.errors.bad_request"
handler403 = "imsclinic.core.errors.permission_denied"
handler404 = "imsclinic.core.errors.page_not_found"
handler500 = "imsclinic.core.errors.server_error"
