"""Account security pages: the sign-in's second step, password reset and change, two-factor set-up, sessions."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from syllabus.accounts.models import User
from syllabus.accounts.security import lockout, passwords, sessions, two_factor
from syllabus.accounts.security.client import describe_user_agent
from syllabus.accounts.security.forms import (
    ChangePasswordForm,
    EnrolmentForm,
    NewPasswordForm,
    PasswordResetRequestForm,
    TwoFactorDisableForm,
    TwoFactorStepForm,
)
from syllabus.accounts.security.signals import TWO_FACTOR_REQUEST_ATTR

# One-shot: the recovery codes just made, shown once on the next page.
NEW_CODES_SESSION_KEY = "security_new_recovery_codes"

SIGN_IN_AGAIN = gettext_lazy("Sign in again: the sign-in waited too long for its code.")
TOO_MANY_CODES = gettext_lazy("Too many wrong codes. Sign in again.")


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


def _safe_next(request: HttpRequest, next_url: str) -> str:
    if next_url and url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        return next_url
    return resolve_url(settings.LOGIN_REDIRECT_URL)


# --- sign-in, second step ----------------------------------------------------------------------------------------


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def sign_in_two_factor(request: HttpRequest) -> HttpResponse:
    """The code after the password: signs a pending sign-in in, or verifies a signed-in but unverified session."""
    pending: two_factor.PendingSignIn | None = None
    if request.user.is_authenticated:
        person = _user(request)
        if person.is_verified() or not two_factor.has_authenticator(person):  # type: ignore[attr-defined]
            return redirect(_safe_next(request, request.GET.get("next", "")))
        next_url = request.POST.get("next") or request.GET.get("next", "")
    else:
        pending = two_factor.pending_get(request)
        if pending is None:
            messages.info(request, SIGN_IN_AGAIN)
            return redirect("accounts:sign-in")
        person, next_url = pending.user, pending.next_url
    form = TwoFactorStepForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = two_factor.two_factor_verify(user=person, code=form.cleaned_data["code"])
        if result.passed:
            if pending is not None:
                two_factor.pending_clear(request)
                setattr(request, TWO_FACTOR_REQUEST_ATTR, True)
                auth_login(request, person, backend=pending.backend)
            else:
                # More privilege for this session: give it a new key.
                request.session.cycle_key()
            otp_login(request, result.device)
            if result.recovery_code:
                left = two_factor.recovery_codes_left(person)
                messages.warning(
                    request,
                    ngettext(
                        "You used a recovery code; %(count)d is left. Make new ones under Sign-in and security.",
                        "You used a recovery code; %(count)d are left. Make new ones under Sign-in and security.",
                        left,
                    )
                    % {"count": left},
                )
            return redirect(_safe_next(request, next_url))
        lockout.sign_in_failed_record(request=request, email=person.email, reason="two_factor")
        if pending is not None and two_factor.pending_failed(request):
            messages.error(request, TOO_MANY_CODES)
            return redirect("accounts:sign-in")
        form.add_error("code", result.error)
    return render(
        request,
        "accounts/security/two_factor_step.html",
        {"form": form, "next": next_url, "signed_in": pending is None},
    )


# --- password reset and change -------------------------------------------------------------------------------


class PasswordResetRequestView(auth_views.PasswordResetView):
    template_name = "accounts/security/password_reset_form.html"
    form_class = PasswordResetRequestForm
    # The email is a notification (notifications/account_security.py): the form only emits an event.
    success_url = reverse_lazy("accounts:password-reset-sent")

    def form_valid(self, form: Any) -> HttpResponse:
        self.request.session["security_reset_email"] = form.cleaned_data["email"]
        return super().form_valid(form)


class PasswordResetSentView(auth_views.PasswordResetDoneView):
    template_name = "accounts/security/password_reset_sent.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["email"] = self.request.session.pop("security_reset_email", "")
        return context


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/security/password_reset_confirm.html"
    form_class = NewPasswordForm
    success_url = reverse_lazy("accounts:password-reset-complete")

    def form_valid(self, form: Any) -> HttpResponse:
        user: User = form.user
        try:
            passwords.password_set(user=user, by=user, password=form.cleaned_data["new_password1"], via_reset=True)
        except ValidationError as exc:
            form.add_error("new_password1", exc.messages)
            return self.form_invalid(form)
        # The link is spent: Django's reset token changes with the password hash.
        self.request.session.pop(auth_views.INTERNAL_RESET_SESSION_TOKEN, None)
        return HttpResponseRedirect(str(self.success_url))


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/security/password_reset_complete.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/security/password_change.html"
    form_class = ChangePasswordForm
    success_url = reverse_lazy("accounts:security")

    def form_valid(self, form: Any) -> HttpResponse:
        user: User = form.user
        try:
            passwords.password_set(
                user=user,
                by=_user(self.request),
                password=form.cleaned_data["new_password1"],
                via_reset=False,
                keep_session_key=self.request.session.session_key,
            )
        except ValidationError as exc:
            form.add_error("new_password1", exc.messages)
            return self.form_invalid(form)
        # This session stays signed in (others end: their password hash is stale).
        update_session_auth_hash(self.request, user)
        messages.success(self.request, _("Your password was changed. Your other sessions were signed out."))
        return HttpResponseRedirect(str(self.success_url))


# --- sign-in and security overview -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def security_overview(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    enabled = two_factor.has_authenticator(user)
    organization = getattr(request, "organization", None)
    context = {
        "two_factor_enabled": enabled,
        "recovery_codes_left": two_factor.recovery_codes_left(user) if enabled else 0,
        "two_factor_required": two_factor.two_factor_required(user=user, organization=organization),
        "session_count": sessions.user_session_list(user=user).count(),
        "has_password": user.has_usable_password(),
    }
    return render(request, "accounts/security/overview.html", context)


# --- two-factor set-up ---------------------------------------------------------------------------------------


@sensitive_post_parameters("code")
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_enrol(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    try:
        device = two_factor.enrolment_start(user=user)
    except ValidationError:
        messages.info(request, _(two_factor.ALREADY_ENABLED))
        return redirect("accounts:security")
    form = EnrolmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor.two_factor_enable(user=user, device=device, code=form.cleaned_data["code"])
        except ValidationError as exc:
            form.add_error("code", exc.messages)
        else:
            # This session proved it holds the authenticator: it counts as verified from now on.
            request.session.cycle_key()
            otp_login(request, device)
            request.session[NEW_CODES_SESSION_KEY] = codes
            messages.success(request, _("Two-factor sign-in is on."))
            return redirect("accounts:recovery-codes")
    context = {
        "form": form,
        "qr_code": two_factor.qr_code_data_uri(device),
        "secret": two_factor.secret_text(device),
        "required": two_factor.two_factor_required(user=user, organization=getattr(request, "organization", None)),
    }
    return render(request, "accounts/security/enrol.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """The recovery codes just made (shown once), or how many are left with a button to make new ones."""
    user = _user(request)
    if not two_factor.has_authenticator(user):
        return redirect("accounts:security")
    if request.method == "POST":
        request.session[NEW_CODES_SESSION_KEY] = two_factor.recovery_codes_regenerate(user=user, by=user)
        messages.success(request, _("You have new recovery codes. The old ones no longer work."))
        return redirect("accounts:recovery-codes")
    codes = request.session.pop(NEW_CODES_SESSION_KEY, None)
    context = {"codes": codes, "left": two_factor.recovery_codes_left(user)}
    return render(request, "accounts/security/recovery_codes.html", context)


@sensitive_post_parameters("password", "code")
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not two_factor.has_authenticator(user):
        return redirect("accounts:security")
    form = TwoFactorDisableForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            two_factor.two_factor_disable(user=user, by=user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Two-factor sign-in is off."))
            return redirect("accounts:security")
    required = two_factor.two_factor_required(user=user, organization=getattr(request, "organization", None))
    return render(request, "accounts/security/disable.html", {"form": form, "required": required})


# --- sessions --------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def session_list(request: HttpRequest) -> HttpResponse:
    current = sessions.current_session_id(request)
    rows = [
        {"session": row, "device": describe_user_agent(row.user_agent), "is_current": row.pk == current}
        for row in sessions.user_session_list(user=_user(request))
    ]
    others = sum(1 for row in rows if not row["is_current"])
    return render(request, "accounts/security/sessions.html", {"rows": rows, "others": others})


@login_required
@require_POST
def sessions_end_others(request: HttpRequest) -> HttpResponseBase:
    user = _user(request)
    count = sessions.sessions_end(user=user, by=user, keep_session_key=request.session.session_key)
    messages.success(
        request,
        ngettext(
            "You were signed out of %(count)d other session.", "You were signed out of %(count)d other sessions.", count
        )
        % {"count": count},
    )
    return redirect("accounts:sessions")
