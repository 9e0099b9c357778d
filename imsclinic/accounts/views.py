"""Two-factor sign-in pages: status, enrolment (QR code as SVG) and the verification step.

The password step is Django's LoginView (accounts/urls.py). A user who must use a second factor
is then held on these pages by core.security.TwoFactorMiddleware until they verify.
"""

from base64 import b32encode

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import user_has_device

from imsclinic.accounts import actions
from imsclinic.accounts.forms import OTPTokenForm
from imsclinic.core.access import staff_required
from imsclinic.core.security import needs_second_factor


def reset_email_key(group, request) -> str:
    """The rate-limit key of a password-reset request: the address asked for, normalised."""
    return request.POST.get("email", "").strip().lower()[:254]


def _safe_next(request, default: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _qr_svg(device) -> str:
    """The otpauth:// URI as an inline SVG (no script, no style attribute, CSP-clean)."""
    return segno.make(device.config_url, error="m").svg_inline(
        scale=5, title="QR code for your authenticator app", dark="#111", light="#fff"
    )


@staff_required
@never_cache
def two_factor_status(request):
    enrolled = user_has_device(request.user, confirmed=True)
    required, _ = needs_second_factor(request.user) if not enrolled else (True, True)
    return render(
        request,
        "accounts/two_factor_status.html",
        {"enrolled": enrolled, "required": required, "verified": request.user.is_verified()},
    )


@staff_required
@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    # Someone already enrolled changes their device only after proving the current one.
    if user_has_device(request.user, confirmed=True) and not request.user.is_verified():
        return redirect("two_factor_verify")
    device = actions.pending_totp_device(request.user)
    form = OTPTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = actions.confirm_totp_device(
            device=device, token=form.cleaned_data["token"], by=request.user, request=request
        )
        if codes is not None:
            # Shown once, in this response only: they are never displayed again.
            return render(
                request,
                "accounts/two_factor_codes.html",
                {"codes": codes, "next": _safe_next(request, "/")},
            )
        form.add_error(
            "token", "That code did not match. Check the time on your phone and try again."
        )
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "qr_svg": _qr_svg(device),
            "secret": b32encode(device.bin_key).decode(),
            "next": _safe_next(request, ""),
        },
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    nxt = _safe_next(request, "/")
    if request.user.is_verified():
        return redirect(nxt)
    if not user_has_device(request.user, confirmed=True):
        return redirect("two_factor_setup")
    form = OTPTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if actions.verify_second_factor(request=request, token=form.cleaned_data["token"]):
            return redirect(nxt)
        form.add_error("token", "That code is not valid. Wait for a new code and try again.")
    if request.method == "POST":
        messages.error(request, "Sign-in is not complete yet.")
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": nxt})
