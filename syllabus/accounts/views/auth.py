"""Sign-in, sign-out, choosing the organisation to act in, and the person's own profile."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from syllabus.access.policy import principal_for
from syllabus.accounts import selectors, services
from syllabus.accounts.forms import ProfileForm, SignInForm
from syllabus.accounts.middleware import SESSION_KEY
from syllabus.accounts.security import lockout, two_factor


class SignInView(auth_views.LoginView):
    """The password step. People with an authenticator go on to the second step before they are signed in."""

    template_name = "accounts/sign_in.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def form_valid(self, form: SignInForm) -> HttpResponse:  # type: ignore[override]
        user = form.get_user()
        if two_factor.has_authenticator(user):
            # Not signed in yet: the second step signs them in once a code passes.
            two_factor.pending_start(self.request, user=user, next_url=self.get_redirect_url())
            return redirect("accounts:sign-in-two-factor")
        return super().form_valid(form)

    def form_invalid(self, form: SignInForm) -> HttpResponse:  # type: ignore[override]
        if getattr(self.request, "axes_locked_out", False):
            context = self.get_context_data(form=form, locked=True, **lockout.lockout_context())
            response = self.render_to_response(context, status=429)
            # Tells axes' middleware this page already explains the lockout.
            setattr(response, lockout.LOCKOUT_PAGE_ATTR, True)
            return response
        return super().form_invalid(form)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponseBase:
    return auth_views.LogoutView.as_view()(request)


@login_required
@require_http_methods(["GET", "POST"])
def choose_organization(request: HttpRequest) -> HttpResponse:
    organizations = selectors.organizations_for_user(user=request.user).order_by("name")  # type: ignore[arg-type]
    if request.method == "POST":
        try:
            organization = organizations.get(pk=int(request.POST.get("organization", "")))
        except (ValueError, organizations.model.DoesNotExist) as exc:
            raise Http404 from exc
        request.session[SESSION_KEY] = organization.pk
        next_url = request.POST.get("next", "")
        if next_url and url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
            return redirect(next_url)
        return redirect("web:home")
    return render(
        request,
        "accounts/choose_organization.html",
        {"organizations": organizations, "next": request.GET.get("next", "")},
    )


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm(
        request.POST or None,
        initial={"display_name": user.display_name, "locale": user.locale, "time_zone": user.time_zone},  # type: ignore[union-attr]
    )
    if request.method == "POST" and form.is_valid():
        services.profile_update(user=user, by=user, **form.cleaned_data)  # type: ignore[arg-type]
        messages.success(request, _("Your profile was saved."))
        return redirect("accounts:profile")
    organization = getattr(request, "organization", None)
    principal = principal_for(user, organization)
    assignments = []
    if principal.membership is not None:
        assignments = list(principal.membership.role_assignments.select_related("role", "org_unit"))
    return render(
        request,
        "accounts/profile.html",
        {"form": form, "membership": principal.membership, "assignments": assignments},
    )
