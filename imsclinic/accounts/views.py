"""Two-factor sign-in pages: status, enrolment (QR code as SVG) and the verification step.

The password step is Django's LoginView (accounts/urls.py). A user who must use a second factor
is then held on these pages by core.security.TwoFactorMiddleware until they verify.
"""

from base64 import b32encode

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import user_has_device

from imsclinic.accounts import actions
from imsclinic.accounts.forms import EmailCodeForm, EnrolmentPasswordForm, OTPTokenForm
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
def two_factor_confirm(request):
    """Before enrolment: the password again, then a code sent to the account's email."""
    nxt = _safe_next(request, "")
    posted_password = request.method == "POST" and "pw-password" in request.POST
    posted_code = request.method == "POST" and "code-code" in request.POST
    password_form = EnrolmentPasswordForm(request.POST if posted_password else None, prefix="pw")
    code_form = EmailCodeForm(request.POST if posted_code else None, prefix="code")
    if posted_password and password_form.is_valid():
        try:
            address = actions.send_enrolment_code(
                request=request, password=password_form.cleaned_data["password"]
            )
        except actions.EnrolmentProofError as exc:
            password_form.add_error("password", exc.message)
        else:
            messages.success(request, f"We emailed a 6-digit code to {address}.")
            password_form = EnrolmentPasswordForm(prefix="pw")
    elif posted_code and code_form.is_valid():
        try:
            actions.confirm_enrolment_code(request=request, code=code_form.cleaned_data["code"])
        except actions.EnrolmentProofError as exc:
            code_form.add_error("code", exc.message)
        else:
            target = reverse("two_factor_setup")
            return redirect(f"{target}?next={nxt}" if nxt else target)
    context = {
        "password_form": password_form,
        "code_form": code_form,
        "code_sent": actions.enrolment_code_sent(request),
        "next": nxt,
    }
    return render(request, "accounts/two_factor_confirm.html", context)


@staff_required
@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    # Someone already enrolled changes their device only after proving the current one.
    if user_has_device(request.user, confirmed=True) and not request.user.is_verified():
        return redirect("two_factor_verify")
    # A password alone never enrols an authenticator: first a fresh password and an emailed code.
    if not actions.enrolment_proved(request):
        target = reverse("two_factor_confirm")
        nxt = _safe_next(request, "")
        return redirect(f"{target}?next={nxt}" if nxt else target)
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
