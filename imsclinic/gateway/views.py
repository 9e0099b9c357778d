"""API tokens page: a person sees and revokes their own tokens; a clinic admin also sees and
revokes the tokens of their clinic's staff and its integration tokens."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from imsclinic.accounts.models import Membership, Role
from imsclinic.core.access import staff_required
from imsclinic.gateway import actions
from imsclinic.gateway.models import ApiToken


@staff_required
@require_GET
def tokens(request):
    own = ApiToken.objects.filter(user=request.user).order_by("-created_at")
    staff_tokens = None
    clinic = request.clinic
    if clinic is not None and request.user.has_role(clinic, Role.CLINIC_ADMIN):
        staff_ids = Membership.objects.filter(clinic=clinic, is_active=True).values("user_id")
        staff_tokens = (
            ApiToken.objects.filter(Q(user_id__in=staff_ids) | Q(clinic=clinic))
            .exclude(user=request.user)
            .select_related("user")
            .order_by("user__username", "-created_at")
        )
    return render(
        request, "gateway/tokens.html", {"own": own, "staff_tokens": staff_tokens, "clinic": clinic}
    )


@staff_required
def revoke(request, token_uuid):
    """POST only. Tokens of people who work at one of my clinics exist for me (another clinic's
    are a 404); revoking needs the owner or an admin of their clinic (403), checked before the
    method so that the answer to a GET says the same."""
    colleagues = Membership.objects.filter(
        clinic_id__in=request.user.staff_clinic_ids(), is_active=True
    ).values("user_id")
    token = ApiToken.objects.filter(
        Q(user=request.user) | Q(user_id__in=colleagues), uuid=token_uuid
    ).first()
    if token is None:
        raise Http404("No such token.")
    if not actions.revocable_by(request.user).filter(pk=token.pk).exists():
        raise PermissionDenied("You may revoke only your own tokens, or your staff's as admin.")
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    actions.revoke_token(token=token, by=request.user)
    messages.success(request, f"Token “{token.name}” revoked. It no longer works.")
    return redirect("gateway:tokens")
