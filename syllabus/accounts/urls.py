from django.urls import URLPattern, path

from syllabus.accounts.views import auth, hr_import, organization, people, platform, security, structure, tokens

app_name = "accounts"


def catalogue_urls(catalogue: structure.Catalogue) -> list[URLPattern]:
    """List, add, edit and delete pages of a settings catalogue (job roles, locations, attributes)."""
    base, edit = f"settings/{catalogue.plural}/", catalogue.edit_view()
    return [
        path(base, catalogue.list_view(), name=catalogue.plural),
        path(f"{base}new/", edit, name=f"{catalogue.singular}-create"),
        path(f"{base}<int:pk>/", edit, name=f"{catalogue.singular}-edit"),
        path(f"{base}<int:pk>/delete/", catalogue.delete_view(), name=f"{catalogue.singular}-delete"),
    ]


urlpatterns = [
    path("sign-in/", auth.SignInView.as_view(), name="sign-in"),
    path("sign-out/", auth.sign_out, name="sign-out"),
    path("organizations/choose/", auth.choose_organization, name="choose-organization"),
    path("profile/", auth.profile, name="profile"),
    # Account security: second sign-in step, password reset and change, two-factor set-up, sessions
    path("sign-in/two-factor/", security.sign_in_two_factor, name="sign-in-two-factor"),
    path("password-reset/", security.PasswordResetRequestView.as_view(), name="password-reset"),
    path("password-reset/sent/", security.PasswordResetSentView.as_view(), name="password-reset-sent"),
    path(
        "password-reset/<uidb64>/<token>/",
        security.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path("password-reset/done/", security.PasswordResetCompleteView.as_view(), name="password-reset-complete"),
    path("profile/security/", security.security_overview, name="security"),
    path("profile/security/password/", security.PasswordChangeView.as_view(), name="password-change"),
    path("profile/security/two-factor/", security.two_factor_enrol, name="two-factor-enrol"),
    path("profile/security/two-factor/off/", security.two_factor_disable, name="two-factor-disable"),
    path("profile/security/recovery-codes/", security.recovery_codes, name="recovery-codes"),
    path("profile/security/sessions/", security.session_list, name="sessions"),
    path("profile/security/sessions/end-others/", security.sessions_end_others, name="sessions-end-others"),
    # People
    path("people/", people.people_list, name="people"),
    path("people/new/", people.person_create, name="person-create"),
    path("people/manager-options/", people.manager_options, name="person-manager-options"),
    path("people/<int:pk>/", people.person_detail, name="person-detail"),
    path("people/<int:pk>/edit/", people.person_edit, name="person-edit"),
    path("people/<int:pk>/deactivate/", people.person_deactivate, name="person-deactivate"),
    path("people/<int:pk>/reactivate/", people.person_reactivate, name="person-reactivate"),
    # HR import (people from a CSV file)
    path("people/import/", hr_import.import_list, name="hr-imports"),
    path("people/import/new/", hr_import.import_create, name="hr-import-create"),
    path("people/import/template.csv", hr_import.import_template_csv, name="hr-import-template"),
    path("people/import/<int:pk>/", hr_import.import_detail, name="hr-import-detail"),
    path("people/import/<int:pk>/status/", hr_import.import_status, name="hr-import-status"),
    path("people/import/<int:pk>/apply/", hr_import.import_apply, name="hr-import-apply"),
    path("people/import/<int:pk>/errors.csv", hr_import.import_errors_csv, name="hr-import-errors"),
    path("people/<int:pk>/unlock/", people.person_unlock, name="person-unlock"),
    path("people/<int:pk>/sign-out-everywhere/", people.person_sign_out_everywhere, name="person-sign-out-everywhere"),
    # The organisation and its structure
    path("settings/organization/", organization.organization_settings, name="org-settings"),
    path("settings/org-units/", structure.org_units, name="org-units"),
    path("settings/org-units/<int:pk>/", structure.org_unit_edit, name="org-unit-edit"),
    path("settings/org-units/<int:pk>/delete/", structure.org_unit_delete, name="org-unit-delete"),
    *catalogue_urls(structure.JOB_ROLES),
    *catalogue_urls(structure.LOCATIONS),
    *catalogue_urls(structure.ATTRIBUTES),
    # API tokens
    path("settings/tokens/", tokens.tokens, name="tokens"),
    path("settings/tokens/<int:pk>/revoke/", tokens.token_revoke, name="token-revoke"),
    # Platform administration
    path("platform/organizations/", platform.platform_organizations, name="platform-organizations"),
]
