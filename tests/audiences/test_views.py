"""The audience pages, for each persona and from the attacker's side, with constant query counts."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse

from syllabus.accounts.models import Membership
from syllabus.audiences import rules, services
from syllabus.audiences.models import Audience
from tests.audiences.conftest import make_audience
from tests.factories import MembershipFactory, grant

pytestmark = pytest.mark.django_db

LIST = reverse("audiences:list")
CREATE = reverse("audiences:create")
PREVIEW = reverse("audiences:preview")


def detail(audience) -> str:
    return reverse("audiences:detail", args=[audience.pk])


def edit(audience) -> str:
    return reverse("audiences:edit", args=[audience.pk])


@pytest.fixture
def as_person(client):
    def sign_in(membership):
        client.force_login(membership.user)
        return client

    return sign_in


@pytest.fixture
def sales(world, moved_clock):
    audience = make_audience(world, "Sales", {"org_unit": world.sales.pk}, description="Everyone in sales")
    services.audience_recompute(audience=audience)
    return audience


def names(response) -> set[str]:
    return {stay.membership.user.display_name for stay in response.context["members_page"]}


# --- who may open what -----------------------------------------------------------------------------------------


def test_org_admin_sees_the_list_with_counts_and_a_create_button(as_person, world, sales):
    response = as_person(world.org_admin).get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Sales" in html and "New audience" in html
    assert list(response.context["page_obj"]) == [sales]


def test_learner_is_refused_every_audience_page(as_person, world, sales):
    client = as_person(world.learner)
    for url in (LIST, CREATE, detail(sales), edit(sales)):
        assert client.get(url).status_code == 403, url
    for url in (PREVIEW, reverse("audiences:recompute", args=[sales.pk]), reverse("audiences:delete", args=[sales.pk])):
        assert client.post(url, {"rules": "{}"}).status_code == 403, url
    assert Audience.objects.filter(pk=sales.pk).exists()


def test_another_organisations_audience_is_not_found(as_person, world, sales):
    client = as_person(world.outsider)
    for url in (detail(sales), edit(sales)):
        assert client.get(url).status_code == 404, url
    for url in (reverse("audiences:recompute", args=[sales.pk]), reverse("audiences:delete", args=[sales.pk])):
        assert client.post(url).status_code == 404, url
    response = client.post(PREVIEW, {"rules": "{}", "audience": sales.pk})
    assert response.status_code == 404


def test_instructor_sees_audiences_and_sizes_but_not_the_names_of_people(as_person, world, sales):
    client = as_person(world.instructor)
    assert "New audience" not in client.get(LIST).content.decode()
    response = client.get(detail(sales))
    assert response.status_code == 200
    assert names(response) == set()
    html = response.content.decode()
    assert "4 people are in this audience." in html
    assert "You may see 0 of them by name." in html
    assert "Recompute now" not in html
    assert client.get(CREATE).status_code == 403


def test_a_unit_admin_sees_by_name_only_the_members_in_their_subtree(as_person, world, sales):
    unit_admin = MembershipFactory(organization=world.org, org_unit=world.hq)
    grant(unit_admin, "compliance_officer")  # audience.view, people.view organisation-wide
    grant(unit_admin, "org_admin", org_unit=world.sales_east)  # people.manage in Sales East only
    response = as_person(unit_admin).get(detail(sales))
    assert names(response) == {"Max Manager", "Rita Report", "Ivan Indirect", "Lena Learner"}
    manager_view = MembershipFactory(organization=world.org, org_unit=world.hq)
    grant(manager_view, "instructor")
    grant(manager_view, "manager", org_unit=world.sales_east)
    response = as_person(manager_view).get(detail(sales))
    assert names(response) == {"Ivan Indirect", "Lena Learner"}


# --- the detail page ---------------------------------------------------------------------------------------------


def test_detail_shows_the_rule_in_words_members_and_history(as_person, world, sales):
    response = as_person(world.org_admin).get(detail(sales))
    html = response.content.decode()
    assert "Department is Sales or below" in html
    assert names(response) == {"Max Manager", "Rita Report", "Ivan Indirect", "Lena Learner"}
    assert len(response.context["history_page"].object_list) == 4


def test_members_at_a_past_time_are_shown_from_the_history(as_person, world, sales, moved_clock):
    before = moved_clock.now
    moved_clock.move(days=2)
    Membership.objects.filter(pk=world.learner.pk).update(org_unit=world.engineering)
    services.audience_recompute(audience=sales)
    client = as_person(world.org_admin)
    assert "Lena Learner" not in names(client.get(detail(sales)))
    at = (before + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.get(detail(sales), {"at": at})
    assert "Lena Learner" in names(response)
    assert response.context["member_count"] == 4
    assert "people were in this audience at" in response.content.decode()
    # The htmx request for the next page of members answers with the fragment only.
    fragment = client.get(detail(sales), {"at": at, "part": "members"}, HTTP_HX_REQUEST="true")
    assert "<h1>" not in fragment.content.decode()
    assert "Lena Learner" in fragment.content.decode()


def test_list_and_detail_cost_a_constant_number_of_queries(
    as_person, world, moved_clock, django_assert_max_num_queries
):
    client = as_person(world.org_admin)
    audience = make_audience(world, "Everyone", {"all": []})
    services.audience_recompute(audience=audience)
    client.get(detail(audience))  # warm up the session
    with django_assert_max_num_queries(14) as small_list:
        client.get(LIST)
    with django_assert_max_num_queries(22) as small_detail:
        client.get(detail(audience))
    for index in range(30):
        make_audience(world, f"Audience {index}", {"all": []})
        MembershipFactory(organization=world.org, org_unit=world.sales)
    services.audience_recompute(audience=audience)
    with django_assert_max_num_queries(len(small_list.captured_queries)):
        client.get(LIST)
    with django_assert_max_num_queries(len(small_detail.captured_queries)):
        client.get(detail(audience))


# --- the builder ---------------------------------------------------------------------------------------------------


def test_org_admin_creates_an_audience_from_the_form(as_person, world, moved_clock, django_capture_on_commit_callbacks):
    client = as_person(world.org_admin)
    page = client.get(CREATE)
    assert page.status_code == 200
    options = page.context["builder_options"]
    assert {unit["name"] for unit in options["units"]} == {"Acme HQ", "Sales", "Sales East", "Engineering"}
    assert 'x-data="audienceBuilder"' in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            CREATE,
            {"name": "Sales East", "description": "", "rules": json.dumps({"org_unit": world.sales_east.pk})},
        )
    audience = Audience.objects.get(name="Sales East")
    assert response.status_code == 302 and response["Location"] == detail(audience)
    assert audience.member_count == 2


def test_form_errors_name_the_path_in_the_rule(as_person, world):
    client = as_person(world.org_admin)
    response = client.post(CREATE, {"name": "Broken", "rules": json.dumps({"all": [{"job_role": []}]})})
    assert response.status_code == 200
    assert response.context["form"].errors["rules"] == [f"rules.all[0].job_role: {rules.NOT_ID_LIST}"]
    response = client.post(CREATE, {"name": "Broken", "rules": "{not json"})
    assert "Enter the rule as JSON" in response.context["form"].errors["rules"][0]
    assert not Audience.objects.filter(name="Broken").exists()


def test_ids_of_another_organisation_are_refused_in_the_form(as_person, world):
    response = as_person(world.org_admin).post(
        CREATE, {"name": "Sneaky", "rules": json.dumps({"org_unit": world.outsider.org_unit_id})}
    )
    assert response.context["form"].errors["rules"] == [
        "rules.org_unit: " + rules.UNKNOWN_ID.format(kind="org unit", id=world.outsider.org_unit_id)
    ]


def test_preview_shows_the_count_and_first_people_without_saving(as_person, world, django_assert_max_num_queries):
    client = as_person(world.org_admin)
    client.get(LIST)
    with django_assert_max_num_queries(18):
        response = client.post(PREVIEW, {"rules": json.dumps({"org_unit": world.sales.pk})}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "4 people match now." in html
    assert "Lena Learner" in html and "Eddie Engineer" not in html
    assert not Audience.objects.exists()
    bad = client.post(PREVIEW, {"rules": json.dumps({"hire_date": {"within_days": "x"}})}, HTTP_HX_REQUEST="true")
    assert rules.NOT_DAYS in bad.content.decode()


def test_preview_works_without_javascript_through_the_form(as_person, world):
    response = as_person(world.org_admin).post(
        CREATE, {"name": "Draft", "rules": json.dumps({"org_unit": world.sales_east.pk}), "action": "preview"}
    )
    assert response.status_code == 200
    assert "2 people match now." in response.content.decode()
    assert not Audience.objects.exists()


def test_editing_keeps_the_builder_away_from_cycles(as_person, world, sales):
    wider = make_audience(world, "Wider", {"audience": sales.pk})
    client = as_person(world.org_admin)
    page = client.get(edit(sales))
    assert [a["name"] for a in page.context["builder_options"]["audiences"]] == ["Wider"]
    response = client.post(edit(sales), {"name": "Sales", "rules": json.dumps({"audience": wider.pk})})
    assert response.context["form"].errors["rules"] == ["rules.audience: " + rules.REFERENCE_CYCLE.format(id=wider.pk)]


def test_recompute_and_delete_buttons(as_person, world, sales, moved_clock):
    client = as_person(world.org_admin)
    Membership.objects.filter(pk=world.engineer.pk).update(org_unit=world.sales)
    response = client.post(reverse("audiences:recompute", args=[sales.pk]), follow=True)
    assert "Recomputed: 1 joined, 0 left, 5 members now." in response.content.decode()
    response = client.post(reverse("audiences:delete", args=[sales.pk]), follow=True)
    assert response.redirect_chain[-1][0] == LIST
    assert not Audience.objects.filter(pk=sales.pk).exists()


def test_navigation_shows_audiences_to_those_who_may_see_them(as_person, world):
    assert reverse("audiences:list") in as_person(world.instructor).get(reverse("web:home")).content.decode()
    assert reverse("audiences:list") not in as_person(world.learner).get(reverse("web:home")).content.decode()


def test_members_and_history_are_paginated_and_pages_load_as_fragments(as_person, world, moved_clock):
    for _ in range(30):
        MembershipFactory(organization=world.org, org_unit=world.sales)
    audience = make_audience(world, "Sales", {"org_unit": world.sales.pk})
    services.audience_recompute(audience=audience)
    client = as_person(world.org_admin)
    page = client.get(detail(audience)).content.decode()
    assert "Page 1 of 2" in page
    assert 'href="?page=2"' in page and 'hx-get="?page=2&amp;part=members"' in page
    assert 'href="?history_page=2"' in page and 'hx-get="?history_page=2&amp;part=history"' in page
    second = client.get(detail(audience), {"page": 2, "part": "members"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Page 2 of 2" in second and "<h1>" not in second
    history = client.get(detail(audience), {"history_page": 2, "part": "history"}, HTTP_HX_REQUEST="true")
    assert "Page 2 of 2" in history.content.decode()
