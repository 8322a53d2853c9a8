"""The people pages, tested through the client from each persona's side."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from syllabus.accounts import services
from syllabus.accounts.attributes import REQUIRED_ATTRIBUTE
from syllabus.accounts.forms import MANAGER_NOT_FOUND, PersonForm
from syllabus.accounts.middleware import SESSION_KEY
from syllabus.accounts.models import Membership, User
from syllabus.accounts.views.people import OUTSIDE_YOUR_UNITS
from tests.factories import (
    AttributeDefinitionFactory,
    JobRoleFactory,
    LocationFactory,
    MembershipFactory,
    grant,
)

pytestmark = pytest.mark.django_db

PEOPLE = reverse("accounts:people")
CREATE = reverse("accounts:person-create")


def sign_in(client, user, organization=None):
    client.force_login(user)
    if organization is not None:
        session = client.session
        session[SESSION_KEY] = organization.pk
        session.save()


def detail(membership: Membership) -> str:
    return reverse("accounts:person-detail", args=[membership.pk])


def edit(membership: Membership) -> str:
    return reverse("accounts:person-edit", args=[membership.pk])


def names_in(response) -> set[str]:
    return {membership.user.display_name for membership in response.context["page_obj"]}


# --- the list -------------------------------------------------------------------------------------------


def test_org_admin_sees_everyone_of_the_organisation_and_nobody_else(client, world):
    sign_in(client, world.org_admin.user)
    response = client.get(PEOPLE)
    assert response.status_code == 200
    names = names_in(response)
    assert {"Olivia Admin", "Lena Learner", "Eddie Engineer", "Max Manager"} <= names
    assert "Oscar Outsider" not in names
    assert b'<th scope="col">' in response.content


def test_manager_sees_only_their_reporting_line(client, world):
    sign_in(client, world.manager.user)
    response = client.get(PEOPLE)
    assert response.status_code == 200
    assert names_in(response) == {"Rita Report", "Ivan Indirect"}
    assert not response.context["can_create"]


def test_learner_is_refused_the_people_list_with_a_helpful_page(client, world):
    sign_in(client, world.learner.user)
    response = client.get(PEOPLE)
    assert response.status_code == 403
    assert b"You do not have access to this page" in response.content


def test_anonymous_visitor_is_sent_to_sign_in(client, world):
    response = client.get(PEOPLE)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:sign-in"))


def test_platform_admin_without_a_chosen_organisation_is_sent_to_choose_one(client, world):
    sign_in(client, world.platform_admin)
    response = client.get(PEOPLE)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:choose-organization"))
    assert "next=%2Fpeople%2F" in response.url


def test_search_matches_name_email_and_exact_employee_id(client, world):
    Membership.objects.filter(pk=world.engineer.pk).update(employee_id="E-42")
    sign_in(client, world.org_admin.user)
    assert names_in(client.get(PEOPLE, {"q": "lena"})) == {"Lena Learner"}
    assert names_in(client.get(PEOPLE, {"q": world.report.user.email})) == {"Rita Report"}
    assert names_in(client.get(PEOPLE, {"q": "e-42"})) == {"Eddie Engineer"}


def test_org_unit_filter_includes_sub_units(client, world):
    sign_in(client, world.org_admin.user)
    response = client.get(PEOPLE, {"org_unit": world.sales.pk})
    assert names_in(response) == {"Max Manager", "Rita Report", "Ivan Indirect", "Lena Learner"}


def test_filters_by_job_role_location_and_manager(client, world):
    nurse = JobRoleFactory(organization=world.org, name="Nurse")
    paris = LocationFactory(organization=world.org, name="Paris")
    Membership.objects.filter(pk=world.learner.pk).update(job_role=nurse)
    Membership.objects.filter(pk=world.engineer.pk).update(location=paris)
    sign_in(client, world.org_admin.user)
    assert names_in(client.get(PEOPLE, {"job_role": nurse.pk})) == {"Lena Learner"}
    assert names_in(client.get(PEOPLE, {"location": paris.pk})) == {"Eddie Engineer"}
    assert names_in(client.get(PEOPLE, {"manager": world.manager.pk})) == {"Rita Report"}


def test_status_filter_shows_active_by_default_and_inactive_on_request(client, world):
    Membership.objects.filter(pk=world.engineer.pk).update(is_active=False)
    sign_in(client, world.org_admin.user)
    assert "Eddie Engineer" not in names_in(client.get(PEOPLE))
    assert names_in(client.get(PEOPLE, {"status": "inactive"})) == {"Eddie Engineer"}
    assert "Eddie Engineer" in names_in(client.get(PEOPLE, {"status": "all"}))


def test_another_organisations_org_unit_id_in_the_filter_is_ignored_and_leaks_nothing(client, world):
    sign_in(client, world.org_admin.user)
    response = client.get(PEOPLE, {"org_unit": world.outsider.org_unit_id})
    assert response.status_code == 200
    assert "Oscar Outsider" not in names_in(response)
    assert "Lena Learner" in names_in(response)


def test_htmx_request_gets_only_the_results_fragment(client, world):
    sign_in(client, world.org_admin.user)
    response = client.get(PEOPLE, {"q": "lena"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b"Lena Learner" in response.content
    assert "HX-Request" in response["Vary"]
    full = client.get(PEOPLE, {"q": "lena"})
    assert b"<html" in full.content
    assert b'hx-target="#people-results"' in full.content


def test_htmx_history_restore_gets_the_whole_page(client, world):
    sign_in(client, world.org_admin.user)
    response = client.get(PEOPLE, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert b"<html" in response.content


def test_list_is_paginated_by_25_with_links_that_keep_the_filters(client, world):
    for number in range(30):
        MembershipFactory(organization=world.org, org_unit=world.engineering, user__display_name=f"Zed {number:02}")
    sign_in(client, world.org_admin.user)
    first = client.get(PEOPLE, {"q": "zed"})
    assert len(first.context["page_obj"]) == 25
    assert b'href="?q=zed&amp;page=2"' in first.content
    second = client.get(PEOPLE, {"q": "zed", "page": 2})
    assert len(second.context["page_obj"]) == 5
    assert client.get(PEOPLE, {"q": "zed", "page": "nonsense"}).status_code == 200


def _count_list_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_people_list_query_count_does_not_grow_with_rows(client, world):
    def add_people(count: int) -> None:
        for _ in range(count):
            manager = MembershipFactory(organization=world.org, org_unit=world.sales, manager=world.manager)
            MembershipFactory(
                organization=world.org,
                org_unit=world.sales_east,
                manager=manager,
                job_role=JobRoleFactory(organization=world.org),
                location=LocationFactory(organization=world.org),
            )

    sign_in(client, world.org_admin.user)
    add_people(3)
    few = _count_list_queries(client, PEOPLE)
    add_people(17)
    many = _count_list_queries(client, PEOPLE)
    assert few == many
    sign_in(client, world.manager.user)
    assert _count_list_queries(client, PEOPLE) <= many + 2


# --- a person's page ------------------------------------------------------------------------------------


def test_person_page_shows_hr_data_attributes_and_direct_reports(client, world):
    AttributeDefinitionFactory(organization=world.org, key="cost_centre", label="Cost centre")
    Membership.objects.filter(pk=world.manager.pk).update(
        employee_id="M-1",
        attributes={"cost_centre": "CC-7"},
        job_role=JobRoleFactory(organization=world.org, name="Head of Sales"),
    )
    sign_in(client, world.org_admin.user)
    response = client.get(detail(world.manager))
    assert response.status_code == 200
    content = response.content.decode()
    for text in ("Max Manager", "Sales", "Head of Sales", "M-1", "Cost centre", "CC-7", "Rita Report"):
        assert text in content
    assert response.context["can_edit"] and response.context["can_deactivate"]
    assert not response.context["can_reactivate"]
    assert 'data-confirm="' in content


def test_manager_can_read_a_report_page_but_not_edit_or_deactivate(client, world):
    sign_in(client, world.manager.user)
    response = client.get(detail(world.indirect_report))
    assert response.status_code == 200
    assert not response.context["can_edit"]
    assert not response.context["can_deactivate"]
    assert reverse("accounts:person-edit", args=[world.indirect_report.pk]).encode() not in response.content
    assert client.get(edit(world.indirect_report)).status_code == 403
    deactivate = reverse("accounts:person-deactivate", args=[world.indirect_report.pk])
    assert client.post(deactivate).status_code == 403


def test_manager_gets_404_for_someone_outside_their_team(client, world):
    sign_in(client, world.manager.user)
    assert client.get(detail(world.engineer)).status_code == 404


def test_learner_is_refused_a_person_page(client, world):
    sign_in(client, world.learner.user)
    assert client.get(detail(world.engineer)).status_code == 403


def test_another_organisations_person_is_not_found(client, world):
    sign_in(client, world.org_admin.user)
    response = client.get(detail(world.outsider))
    assert response.status_code == 404
    assert b"Page not found" in response.content
    assert b"Oscar" not in response.content
    assert client.get(edit(world.outsider)).status_code == 404
    assert client.post(reverse("accounts:person-deactivate", args=[world.outsider.pk])).status_code == 404
    assert Membership.objects.get(pk=world.outsider.pk).is_active


def test_outsider_cannot_reach_our_people_by_id(client, world):
    sign_in(client, world.outsider.user)
    assert client.get(detail(world.learner)).status_code == 404


# --- create and edit ------------------------------------------------------------------------------------


def test_org_admin_adds_a_person_with_hr_data_and_attributes(client, world):
    AttributeDefinitionFactory(organization=world.org, key="grade", label="Grade", type="number")
    AttributeDefinitionFactory(
        organization=world.org, key="shift", label="Shift", type="choice", choices=["Day", "Night"]
    )
    AttributeDefinitionFactory(organization=world.org, key="badge_expiry", label="Badge expiry", type="date")
    role = JobRoleFactory(organization=world.org, name="Nurse")
    sign_in(client, world.org_admin.user)
    page = client.get(CREATE)
    assert page.status_code == 200
    assert "— Sales" in page.content.decode()
    response = client.post(
        CREATE,
        {
            "email": "Nina.New@Example.test",
            "display_name": "Nina New",
            "password": "a-long-enough-passphrase",
            "org_unit": world.sales_east.pk,
            "job_role": role.pk,
            "manager": world.report.user.email,
            "employee_id": "N-1",
            "hire_date": "2024-03-01",
            "attribute_grade": "7.5",
            "attribute_shift": "Night",
            "attribute_badge_expiry": "2026-01-31",
        },
    )
    membership = Membership.objects.get(organization=world.org, user__email="nina.new@example.test")
    assert response.status_code == 302
    assert response.url == detail(membership)
    assert membership.org_unit == world.sales_east
    assert membership.job_role == role
    assert membership.manager == world.report
    assert membership.employee_id == "N-1"
    assert membership.attributes == {"grade": 7.5, "shift": "Night", "badge_expiry": "2026-01-31"}
    assert membership.user.check_password("a-long-enough-passphrase")


def test_adding_an_existing_member_shows_the_service_message_on_the_email_field(client, world):
    sign_in(client, world.org_admin.user)
    response = client.post(CREATE, {"email": world.learner.user.email, "display_name": "Again"})
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["email"] == [services.ALREADY_MEMBER.format(email=world.learner.user.email)]
    assert b'aria-invalid="true"' in response.content
    assert b"Please correct the errors below." in response.content


def test_bad_submit_keeps_what_was_typed_and_shows_field_errors(client, world):
    AttributeDefinitionFactory(organization=world.org, key="badge", label="Badge", required=True)
    sign_in(client, world.org_admin.user)
    response = client.post(
        CREATE,
        {
            "email": "someone@example.test",
            "display_name": "Typed Name",
            "manager": "nobody@example.test",
            "employee_id": "KEEP-ME",
            "hire_date": "not a date",
            "attribute_badge": "",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert str(MANAGER_NOT_FOUND) in errors["manager"]
    assert "hire_date" in errors and "attribute_badge" in errors
    content = response.content.decode()
    assert 'value="Typed Name"' in content and 'value="KEEP-ME"' in content
    assert not User.objects.filter(email="someone@example.test").exists()


def test_service_errors_about_attributes_land_on_the_attribute_field(world):
    definition = AttributeDefinitionFactory(organization=world.org, key="shift", label="Shift")
    form = PersonForm(
        {"email": "x@example.test", "display_name": "X"}, organization=world.org, definitions=[definition]
    )
    assert form.is_valid()
    form.add_service_error(
        ValidationError({"attributes.shift": [REQUIRED_ATTRIBUTE], "attributes.gone": ["Unknown"], "email": ["Taken"]})
    )
    assert form.errors["attribute_shift"] == [REQUIRED_ATTRIBUTE]
    assert form.errors["email"] == ["Taken"]
    assert form.non_field_errors() == ["Unknown"]
    assert 'aria-invalid="true"' in str(form["attribute_shift"])
    assert 'aria-describedby="id_attribute_shift_error"' in str(form["attribute_shift"])


def test_weak_initial_password_is_refused_on_the_password_field(client, world):
    sign_in(client, world.org_admin.user)
    response = client.post(CREATE, {"email": "weak@example.test", "display_name": "Weak", "password": "short"})
    assert response.status_code == 200
    assert response.context["form"].errors["password"]
    assert not User.objects.filter(email="weak@example.test").exists()


def test_org_unit_admin_may_only_add_people_to_their_own_subtree(client, world):
    unit_admin = MembershipFactory(organization=world.org, org_unit=world.sales)
    grant(unit_admin, "org_admin", org_unit=world.sales)
    sign_in(client, unit_admin.user)
    refused = client.post(
        CREATE, {"email": "eng@example.test", "display_name": "Eng", "org_unit": world.engineering.pk}
    )
    assert refused.status_code == 200
    assert str(OUTSIDE_YOUR_UNITS) in refused.context["form"].errors["org_unit"]
    accepted = client.post(
        CREATE, {"email": "east@example.test", "display_name": "East", "org_unit": world.sales_east.pk}
    )
    assert accepted.status_code == 302


def test_learner_and_manager_cannot_add_people(client, world):
    for membership in (world.learner, world.manager):
        client.logout()
        sign_in(client, membership.user)
        assert client.get(CREATE).status_code == 403
        assert client.post(CREATE, {"email": "x@example.test", "display_name": "X"}).status_code == 403
    assert not User.objects.filter(email="x@example.test").exists()


def test_org_admin_edits_a_person(client, world):
    AttributeDefinitionFactory(organization=world.org, key="grade", label="Grade", type="number")
    Membership.objects.filter(pk=world.learner.pk).update(attributes={"grade": 3})
    sign_in(client, world.org_admin.user)
    page = client.get(edit(world.learner))
    assert page.status_code == 200
    assert 'value="3"' in page.content.decode()
    assert "email" not in page.context["form"].fields
    response = client.post(
        edit(world.learner),
        {
            "display_name": "Lena Renamed",
            "org_unit": world.engineering.pk,
            "manager": world.engineer.user.email,
            "employee_id": "L-9",
            "attribute_grade": "4",
        },
    )
    assert response.status_code == 302
    learner = Membership.objects.select_related("user").get(pk=world.learner.pk)
    assert learner.user.display_name == "Lena Renamed"
    assert learner.org_unit == world.engineering
    assert learner.manager == world.engineer
    assert learner.attributes == {"grade": 4}


def test_reporting_cycle_is_refused_with_the_service_message(client, world):
    sign_in(client, world.org_admin.user)
    response = client.post(
        edit(world.manager),
        {"display_name": "Max Manager", "org_unit": world.sales.pk, "manager": world.indirect_report.user.email},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["manager"] == [services.MANAGER_CYCLE]
    assert Membership.objects.get(pk=world.manager.pk).manager_id is None


def test_employee_id_clash_is_shown_on_its_field(client, world):
    Membership.objects.filter(pk=world.engineer.pk).update(employee_id="DUP")
    sign_in(client, world.org_admin.user)
    response = client.post(edit(world.learner), {"display_name": "Lena Learner", "employee_id": "DUP"})
    assert response.status_code == 200
    assert response.context["form"].errors["employee_id"] == [services.EMPLOYEE_ID_TAKEN.format(employee_id="DUP")]


def test_manager_suggestions_list_matching_active_members(client, world):
    sign_in(client, world.org_admin.user)
    response = client.get(reverse("accounts:person-manager-options"), {"manager": "rita"})
    assert response.status_code == 200
    assert f'value="{world.report.user.email}"'.encode() in response.content
    assert b"Oscar" not in client.get(reverse("accounts:person-manager-options"), {"manager": "oscar"}).content
    client.logout()
    sign_in(client, world.learner.user)
    assert client.get(reverse("accounts:person-manager-options"), {"manager": "rita"}).status_code == 403


# --- deactivate and reactivate --------------------------------------------------------------------------


def test_org_admin_deactivates_and_reactivates_a_person(client, world):
    sign_in(client, world.org_admin.user)
    deactivate = reverse("accounts:person-deactivate", args=[world.learner.pk])
    reactivate = reverse("accounts:person-reactivate", args=[world.learner.pk])
    assert client.get(deactivate).status_code == 405
    response = client.post(deactivate, follow=True)
    assert response.redirect_chain[-1][0] == detail(world.learner)
    assert not Membership.objects.get(pk=world.learner.pk).is_active
    assert response.context["can_reactivate"] and not response.context["can_deactivate"]
    client.post(reactivate)
    assert Membership.objects.get(pk=world.learner.pk).is_active


def test_deactivating_oneself_shows_the_service_message(client, world):
    sign_in(client, world.org_admin.user)
    page = client.get(detail(world.org_admin))
    assert not page.context["can_deactivate"]
    response = client.post(reverse("accounts:person-deactivate", args=[world.org_admin.pk]), follow=True)
    assert services.CANNOT_DEACTIVATE_SELF in response.content.decode()
    assert Membership.objects.get(pk=world.org_admin.pk).is_active


def test_person_page_links_to_the_roles_page(client, world):
    sign_in(client, world.org_admin.user)
    response = client.get(detail(world.learner))
    assert reverse("access:person-roles", args=[world.learner.pk]).encode() in response.content
