"""Forms for the sign-in and profile pages."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from syllabus.accounts.models import TIME_ZONE_CHOICES
from django.conf import settings


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )
    error_messages = {
        "invalid_login": _("That email and password do not match an account. Check both and try again."),
        "inactive": _("This account is disabled."),
    }


class ProfileForm(forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=150)
    locale = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=TIME_ZONE_CHOICES)
