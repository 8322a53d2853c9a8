"""Forms of the account security pages. They parse and validate; the views call the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from syllabus.accounts.models import User
from syllabus.accounts.security.tasks import request_password_reset

CODE_HELP = _("The 6-digit code your authenticator app shows now, or one of your recovery codes.")


def _code_widget(**attrs: Any) -> forms.TextInput:
    return forms.TextInput(
        attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false", **attrs}
    )


class TwoFactorStepForm(forms.Form):
    """The second step of sign-in: one box for an authenticator code or a recovery code."""

    code = forms.CharField(
        label=_("Code"), max_length=32, help_text=CODE_HELP, widget=_code_widget(autofocus=True, inputmode="text")
    )


class EnrolmentForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the app"),
        max_length=10,
        help_text=_("The 6-digit code the app shows for this account."),
        widget=_code_widget(inputmode="numeric", pattern="[0-9 ]*"),
    )


class TwoFactorDisableForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = forms.CharField(
        label=_("Or a code"), required=False, max_length=32, help_text=CODE_HELP, widget=_code_widget()
    )


class NewPasswordFieldsMixin:
    """New-password fields with the rules spelt out, and rule failures shown on the first field (where they are)."""

    fields: dict[str, forms.Field]
    user: User

    def setup_password_fields(self) -> None:
        self.fields["new_password1"].help_text = _("It must follow these rules:")
        self.fields["new_password2"].help_text = _("Type it again, to be sure.")

    def password_rules(self) -> list[str]:
        return [str(text) for text in password_validation.password_validators_help_texts()]

    def clean_new_passwords(self) -> None:
        self.validate_passwords("new_password1", "new_password2")  # type: ignore[attr-defined]
        self.validate_password_for_user(self.user, "new_password1")  # type: ignore[attr-defined]


class NewPasswordForm(NewPasswordFieldsMixin, auth_forms.SetPasswordForm):  # type: ignore[misc]
    """Set a new password from a reset link."""

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.setup_password_fields()

    def clean(self) -> dict[str, Any]:
        self.clean_new_passwords()
        return forms.Form.clean(self)  # type: ignore[return-value]


class ChangePasswordForm(NewPasswordFieldsMixin, auth_forms.PasswordChangeForm):  # type: ignore[misc]
    """A signed-in person changes their password (their current one proves it is them)."""

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.fields["old_password"].label = _("Current password")
        self.setup_password_fields()

    def clean(self) -> dict[str, Any]:
        self.clean_new_passwords()
        return forms.Form.clean(self)  # type: ignore[return-value]


class PasswordResetRequestForm(auth_forms.PasswordResetForm):
    """Ask for a reset link. Answers the same, in the same time, whether or not the address has an account.

    The request only queues one task with the typed address, whatever it is: the worker looks the accounts up and
    the notifications app emails each a link (notifications/account_security.py). People added without a password
    (who sign in through a reset link, see the person form) get a link too.
    """

    def save(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        request_password_reset.delay(email=self.cleaned_data["email"])
