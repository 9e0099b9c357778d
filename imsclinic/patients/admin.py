from django.contrib import admin

from imsclinic.patients.models import Patient


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ("chart_number", "family_name", "given_name", "date_of_birth", "clinic")
    search_fields = ("family_name", "given_name", "chart_number")
    list_filter = ("clinic",)
