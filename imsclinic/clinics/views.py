"""Clinic administration pages (clinic admin role only).

Every page is addressed by the clinic's uuid, so an owner of several clinics manages each one
by its own address. A clinic the user does not work at is a 404; one where they hold another
role is a 403. Staff are looked up among the clinic's own memberships (another clinic's person
is a 404).
"""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_GET, require_http_methods

from imsclinic.accounts.models import Clinic, Membership, Role, User
from imsclinic.clinics import actions
from imsclinic.clinics.credentials import expiry_warnings
from imsclinic.clinics.forms import (
    AuthorisationForm,
    ClinicSettingsForm,
    InviteForm,
    LogoForm,
    RegistrationForm,
    RolesForm,
    ServiceForm,
)
from imsclinic.clinics.policies import ClinicPolicies, PolicyError, current_policies
from imsclinic.core.access import staff_required
from imsclinic.scheduling.models import Service


def admin_clinic(request, clinic_uuid) -> Clinic:
    """The clinic of the URL, if the user works there (404 otherwise) as its admin (403)."""
    clinic = Clinic.objects.filter(uuid=clinic_uuid, pk__in=request.user.staff_clinic_ids()).first()
    if clinic is None:
        raise Http404("No such clinic.")
    if not request.user.has_role(clinic, Role.CLINIC_ADMIN):
        raise PermissionDenied("Only a clinic admin may manage the clinic.")
    return clinic


def _staff_member(clinic, user_uuid) -> User:
    return get_object_or_404(
        User.objects.filter(memberships__clinic=clinic).distinct(), uuid=user_uuid
    )


def _post_only(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    return None


@staff_required
@require_GET
def index(request):
    """Clinic administration: the clinics this person runs (one goes straight to its staff)."""
    clinics = Clinic.objects.filter(
        memberships__user=request.user,
        memberships__role=Role.CLINIC_ADMIN,
        memberships__is_active=True,
    ).distinct()
    if not clinics:
        raise PermissionDenied("Only a clinic admin may manage the clinic.")
    if len(clinics) == 1:
        return redirect("clinics:staff", clinic_uuid=clinics[0].uuid)
    return render(request, "clinics/index.html", {"clinics": clinics})


def _staff_rows(clinic):
    rows = {}
    for membership in (
        Membership.objects.filter(clinic=clinic)
        .exclude(user_id__in=actions.integration_user_ids())
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__username")
    ):
        row = rows.setdefault(
            membership.user_id, {"person": membership.user, "roles": [], "active": False}
        )
        if membership.is_active:
            row["roles"].append(membership.get_role_display())
            row["active"] = True
    for row in rows.values():
        row["invited"] = row["active"] and not row["person"].has_usable_password()
    current = [r for r in rows.values() if r["active"] and r["person"].is_active]
    former = [r for r in rows.values() if not (r["active"] and r["person"].is_active)]
    return current, former


@staff_required
@require_http_methods(["GET", "POST"])
def staff(request, clinic_uuid):
    clinic = admin_clinic(request, clinic_uuid)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, needs_password = actions.invite_staff(
                clinic=clinic, by=request.user, **form.cleaned_data
            )
            actions.send_invitation(
                clinic=clinic,
                user=user,
                base_url=request.build_absolute_uri("/"),
                needs_password=needs_password,
            )
        except actions.AdminError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Invitation emailed to {user.email}.")
            return redirect("clinics:staff", clinic_uuid=clinic.uuid)
    current, former = _staff_rows(clinic)
    return render(
        request,
        "clinics/staff.html",
        {
            "clinic": clinic,
            "form": form,
            "current": current,
            "former": former,
            "warnings": expiry_warnings(clinic, on=clinic.today()),
        },
        status=400 if form.is_bound else 200,
    )


@staff_required
@require_GET
def staff_member(request, clinic_uuid, user_uuid):
    clinic = admin_clinic(request, clinic_uuid)
    person = _staff_member(clinic, user_uuid)
    return _render_member(request, clinic, person)


def _render_member(request, clinic, person, **forms):
    active_roles = list(
        Membership.objects.filter(clinic=clinic, user=person, is_active=True).values_list(
            "role", flat=True
        )
    )
    context = {
        "clinic": clinic,
        "person": person,
        "works_here": bool(active_roles) and person.is_active,
        "roles_form": forms.get("roles_form") or RolesForm(initial={"roles": active_roles}),
        "registration_form": forms.get("registration_form")
        or RegistrationForm(initial={"jurisdiction": clinic.jurisdiction}),
        "authorisation_form": forms.get("authorisation_form")
        or AuthorisationForm(initial={"jurisdiction": clinic.jurisdiction}),
        "registrations": person.registrations.order_by("-expires_on"),
        "authorisations": person.needling_authorisations.order_by("-expires_on"),
        "warnings": expiry_warnings(clinic, on=clinic.today(), user=person),
        "offboard_error": forms.get("offboard_error"),
    }
    status = 400 if any(forms.values()) else 200
    return render(request, "clinics/staff_member.html", context, status=status)


@staff_required
def staff_roles(request, clinic_uuid, user_uuid):
    clinic = admin_clinic(request, clinic_uuid)
    person = _staff_member(clinic, user_uuid)
    if refused := _post_only(request):
        return refused
    form = RolesForm(request.POST)
    if form.is_valid():
        try:
            actions.set_roles(
                clinic=clinic, user=person, roles=set(form.cleaned_data["roles"]), by=request.user
            )
        except actions.AdminError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Roles of {person.display_name} saved.")
            return redirect("clinics:staff_member", clinic_uuid=clinic.uuid, user_uuid=person.uuid)
    return _render_member(request, clinic, person, roles_form=form)


@staff_required
def staff_registration(request, clinic_uuid, user_uuid):
    clinic = admin_clinic(request, clinic_uuid)
    person = _staff_member(clinic, user_uuid)
    if refused := _post_only(request):
        return refused
    form = RegistrationForm(request.POST)
    if form.is_valid():
        try:
            actions.add_registration(
                clinic=clinic, user=person, by=request.user, **form.cleaned_data
            )
        except actions.AdminError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Registration recorded.")
            return redirect("clinics:staff_member", clinic_uuid=clinic.uuid, user_uuid=person.uuid)
    return _render_member(request, clinic, person, registration_form=form)


@staff_required
def staff_authorisation(request, clinic_uuid, user_uuid):
    clinic = admin_clinic(request, clinic_uuid)
    person = _staff_member(clinic, user_uuid)
    if refused := _post_only(request):
        return refused
    form = AuthorisationForm(request.POST)
    if form.is_valid():
        try:
            actions.add_authorisation(
                clinic=clinic, user=person, by=request.user, **form.cleaned_data
            )
        except actions.AdminError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Needling authorisation recorded.")
            return redirect("clinics:staff_member", clinic_uuid=clinic.uuid, user_uuid=person.uuid)
    return _render_member(request, clinic, person, authorisation_form=form)


@staff_required
def staff_offboard(request, clinic_uuid, user_uuid):
    clinic = admin_clinic(request, clinic_uuid)
    person = _staff_member(clinic, user_uuid)
    if refused := _post_only(request):
        return refused
    try:
        closed = actions.offboard_staff(clinic=clinic, user=person, by=request.user)
    except actions.AdminError as exc:
        return _render_member(request, clinic, person, offboard_error=exc.message)
    messages.success(
        request,
        f"{person.display_name} was offboarded"
        + (
            ": their account, sessions, API tokens and calendar feeds are closed."
            if closed
            else "."
        ),
    )
    return redirect("clinics:staff", clinic_uuid=clinic.uuid)


def _stored_policies(request, clinic) -> ClinicPolicies:
    try:
        return current_policies(clinic)
    except PolicyError as exc:
        # A stored value the schema refuses: say so loudly; saving the form replaces it.
        messages.error(request, f"The saved policies need correcting: {exc}")
        return ClinicPolicies()


@staff_required
@require_http_methods(["GET", "POST"])
def clinic_settings(request, clinic_uuid):
    clinic = admin_clinic(request, clinic_uuid)
    stored = _stored_policies(request, clinic)
    form = ClinicSettingsForm(
        request.POST or None, instance=Clinic.objects.get(pk=clinic.pk), policies=stored
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_clinic_settings(
                clinic=clinic,
                fields=form.clinic_fields(),
                policies=form.validated_policies,
                by=request.user,
            )
        except actions.AdminError as exc:
            form.add_error(None, exc.message)
        except PolicyError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Clinic settings saved.")
            return redirect("clinics:settings", clinic_uuid=clinic.uuid)
    status = 400 if form.is_bound else 200
    return render(
        request,
        "clinics/settings.html",
        {"clinic": clinic, "form": form, "logo_form": LogoForm()},
        status=status,
    )


@staff_required
def clinic_logo(request, clinic_uuid):
    """POST: upload the clinic's logo (PNG or JPEG), or remove it (`remove=yes`)."""
    clinic = admin_clinic(request, clinic_uuid)
    if refused := _post_only(request):
        return refused
    if request.POST.get("remove") == "yes":
        try:
            actions.remove_logo(clinic=clinic, by=request.user)
        except actions.AdminError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Logo removed.")
        return redirect("clinics:settings", clinic_uuid=clinic.uuid)
    form = LogoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            actions.set_logo(clinic=clinic, data=form.cleaned_data["logo"].read(), by=request.user)
        except actions.AdminError as exc:
            form.add_error("logo", exc.message)
        else:
            messages.success(request, "Logo saved. It shows on the clinic page, here and on PDFs.")
            return redirect("clinics:settings", clinic_uuid=clinic.uuid)
    settings_form = ClinicSettingsForm(
        instance=Clinic.objects.get(pk=clinic.pk), policies=_stored_policies(request, clinic)
    )
    return render(
        request,
        "clinics/settings.html",
        {"clinic": clinic, "form": settings_form, "logo_form": form},
        status=400,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def services(request, clinic_uuid):
    clinic = admin_clinic(request, clinic_uuid)
    if request.method == "POST" and request.POST.get("defaults") == "yes":
        actions.add_default_services(clinic=clinic, by=request.user)
        messages.success(request, "The usual IMS services were added. Edit them to suit.")
        return redirect("clinics:services", clinic_uuid=clinic.uuid)
    form = ServiceForm(request.POST or None, instance=Service(clinic=clinic))
    if request.method == "POST" and form.is_valid():
        try:
            service = actions.create_service(clinic=clinic, by=request.user, **form.cleaned_data)
        except actions.AdminError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Service “{service.name}” added.")
            return redirect("clinics:services", clinic_uuid=clinic.uuid)
    rows = Service.objects.filter(clinic=clinic).order_by("-is_active", "position", "name")
    status = 400 if form.is_bound else 200
    return render(
        request,
        "clinics/services.html",
        {"clinic": clinic, "form": form, "services": rows},
        status=status,
    )


def _service(clinic, service_uuid) -> Service:
    return get_object_or_404(Service, clinic=clinic, uuid=service_uuid)


@staff_required
@require_http_methods(["GET", "POST"])
def service_edit(request, clinic_uuid, service_uuid):
    clinic = admin_clinic(request, clinic_uuid)
    service = _service(clinic, service_uuid)
    form = ServiceForm(request.POST or None, instance=Service.objects.get(pk=service.pk))
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_service(service=service, by=request.user, **form.cleaned_data)
        except actions.AdminError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Service “{form.cleaned_data['name']}” saved.")
            return redirect("clinics:services", clinic_uuid=clinic.uuid)
    status = 400 if form.is_bound else 200
    return render(
        request,
        "clinics/service_edit.html",
        {"clinic": clinic, "form": form, "service": service},
        status=status,
    )


@staff_required
def service_active(request, clinic_uuid, service_uuid):
    """POST: stop offering a service (or offer it again)."""
    clinic = admin_clinic(request, clinic_uuid)
    service = _service(clinic, service_uuid)
    if refused := _post_only(request):
        return refused
    offer = request.POST.get("offer") == "yes"
    actions.update_service(service=service, by=request.user, is_active=offer)
    messages.success(
        request,
        f"“{service.name}” is offered again."
        if offer
        else f"“{service.name}” is no longer offered.",
    )
    return redirect("clinics:services", clinic_uuid=clinic.uuid)


class AcceptInvitationView(auth_views.PasswordResetConfirmView):
    """The invited person's one-time link: choose a password, then sign in.

    Django's reset view hides the token from the address bar (and so from Referer headers) by
    moving it to the session before the form is shown.
    """

    template_name = "clinics/accept_invitation.html"
    token_generator = actions.invitation_tokens
    success_url = reverse_lazy("login")
    post_reset_login = False

    def form_valid(self, form):
        actions.accept_invitation(user=form.user, password=form.cleaned_data["new_password1"])
        messages.success(self.request, "Your password is set. Sign in with it now.")
        return redirect(self.get_success_url())


accept_invitation = AcceptInvitationView.as_view()


def _credential_status(expires_on, today, *, revoked=False) -> str:
    if revoked:
        return "Revoked"
    if expires_on is None:
        return "Current, no expiry"
    days = (expires_on - today).days
    if days < 0:
        return f"Expired on {expires_on:%d %b %Y}"
    if days == 0:
        return "Expires today"
    return f"Current, expires in {days} day{'s' if days != 1 else ''}"


@staff_required
@require_GET
def my_profile(request):
    """The signed-in person's own profile: name, designation, registrations and needling
    authorisations with their expiry. Read-only: a clinic admin records credentials (on the
    staff page), so the page says who to ask, or links an admin to their own staff page."""
    from imsclinic.reports.actions import signer_details

    user = request.user
    clinics = []
    for clinic in sorted(user.staff_clinics().values(), key=lambda c: c.name):
        admins = (
            User.objects.filter(
                memberships__clinic=clinic,
                memberships__role=Role.CLINIC_ADMIN,
                memberships__is_active=True,
                is_active=True,
            )
            .exclude(pk__in=actions.integration_user_ids())
            .distinct()
            .order_by("last_name", "first_name")
        )
        roles = [label for value, label in Role.choices if user.has_role(clinic, value)]
        clinics.append(
            {
                "clinic": clinic,
                "roles": roles,
                "designation": signer_details(user, clinic)["designation"],
                "is_admin": user.has_role(clinic, Role.CLINIC_ADMIN),
                "admins": [a for a in admins if a.pk != user.pk],
                "warnings": expiry_warnings(clinic, on=clinic.today(), user=user),
            }
        )
    active = getattr(request, "clinic", None) or (clinics[0]["clinic"] if clinics else None)
    today = active.today() if active else None
    registrations = [
        {"row": r, "status": _credential_status(r.expires_on, today)}
        for r in user.registrations.order_by("-expires_on")
    ]
    authorisations = [
        {"row": a, "status": _credential_status(a.expires_on, today, revoked=bool(a.revoked_at))}
        for a in user.needling_authorisations.order_by("-expires_on")
    ]
    context = {
        "person": user,
        "clinics": clinics,
        "registrations": registrations,
        "authorisations": authorisations,
    }
    return render(request, "clinics/profile.html", context)
