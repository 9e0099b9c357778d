from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from imsclinic.accounts.models import (
    Clinic,
    Membership,
    NeedlingAuthorisation,
    ProfessionalRegistration,
    User,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


class AuthorisationInline(admin.TabularInline):
    model = NeedlingAuthorisation
    extra = 0


class RegistrationInline(admin.TabularInline):
    model = ProfessionalRegistration
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline, RegistrationInline, AuthorisationInline]
    list_display = ("username", "email", "first_name", "last_name", "is_active", "is_demo_account")


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ("name", "region", "time_zone")
    prepopulated_fields = {"slug": ("name",)}
