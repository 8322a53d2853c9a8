from django.urls import URLPattern, path

from syllabus.accounts.views import auth, organization, people, platform, structure, tokens

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
    # People
    path("people/", people.people_list, name="people"),
    path("people/new/", people.person_create, name="person-create"),
    path("people/manager-options/", people.manager_options, name="person-manager-options"),
    path("people/<int:pk>/", people.person_detail, name="person-detail"),
    path("people/<int:pk>/edit/", people.person_edit, name="person-edit"),
    path("people/<int:pk>/deactivate/", people.person_deactivate, name="person-deactivate"),
    path("people/<int:pk>/reactivate/", people.person_reactivate, name="person-reactivate"),
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
