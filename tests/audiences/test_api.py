"""/api/v1/audiences/: CRUD, preview, members now and at a point in time, recompute — and the attacker's side."""

from __future__ import annotations

import datetime as dt

import pytest

from syllabus.accounts.models import Membership
from syllabus.audiences import rules, services
from syllabus.audiences.models import Audience
from tests.api.conftest import V1, error_fields
from tests.audiences.conftest import make_audience
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

AUDIENCES = f"{V1}/audiences/"
PREVIEW = f"{V1}/audiences/preview/"


def one(audience) -> str:
    return f"{AUDIENCES}{audience.pk}/"


@pytest.fixture
def sales(world, moved_clock):
    audience = make_audience(world, "Sales", {"org_unit": world.sales.pk})
    services.audience_recompute(audience=audience)
    return audience


def test_org_admin_creates_an_audience_and_members_are_computed_after_commit(
    world, as_member, moved_clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = as_member(world.org_admin).post(
            AUDIENCES, {"name": "Sales East", "rules": {"org_unit": world.sales_east.pk}}, format="json"
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["rules"] == {"org_unit": world.sales_east.pk, "include_sub_units": True}
    assert body["is_stale"] is True  # answered before the recompute that runs after commit
    assert Audience.objects.get(pk=body["id"]).member_count == 2


def test_rule_errors_name_the_path_in_the_one_error_format(world, as_member):
    response = as_member(world.org_admin).post(
        AUDIENCES,
        {"name": "Bad", "rules": {"any": [{"job_role": [1]}, {"hire_date": {"within_days": -2}}]}},
        format="json",
    )
    assert response.status_code == 400
    fields = error_fields(response)
    assert fields["rules.any[1].hire_date.within_days"] == rules.NOT_DAYS
    assert "rules.any[0].job_role" in fields


def test_list_get_change_and_delete(
    world, as_member, sales, moved_clock, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    client = as_member(world.org_admin)
    for index in range(5):
        make_audience(world, f"Extra {index}", {"all": []})
    with django_assert_max_num_queries(12):
        listed = client.get(AUDIENCES).json()
    assert listed["count"] == 6
    assert client.get(one(sales)).json()["member_count"] == 4
    moved_clock.move(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        changed = client.patch(one(sales), {"rules": {"org_unit": world.sales_east.pk}}, format="json")
    assert changed.status_code == 200
    assert changed.json()["is_stale"] is True
    assert client.get(one(sales)).json()["member_count"] == 2
    assert client.get(one(sales)).json()["is_stale"] is False
    assert client.delete(one(sales)).status_code == 204
    assert client.get(one(sales)).status_code == 404


def test_preview_answers_count_and_first_people_without_saving(world, as_member):
    response = as_member(world.org_admin).post(PREVIEW, {"rules": {"not": {"org_unit": world.sales.pk}}}, format="json")
    assert response.status_code == 200
    body = response.json()
    active = Membership.objects.filter(organization=world.org, is_active=True).count()
    assert body["count"] == active - 4
    assert "Lena Learner" not in {person["display_name"] for person in body["people"]}
    assert not Audience.objects.exists()


def test_members_now_and_at_a_point_in_time(world, as_member, sales, moved_clock):
    then = moved_clock.now
    moved_clock.move(days=1)
    Membership.objects.filter(pk=world.learner.pk).update(is_active=False)
    services.audience_recompute(audience=sales)
    client = as_member(world.org_admin)
    now = {row["person"]["display_name"] for row in client.get(f"{one(sales)}members/").json()["results"]}
    assert "Lena Learner" not in now
    past = client.get(f"{one(sales)}members/", {"at": (then + dt.timedelta(minutes=1)).isoformat()}).json()
    rows = {row["person"]["display_name"]: row for row in past["results"]}
    assert set(rows) == {"Max Manager", "Rita Report", "Ivan Indirect", "Lena Learner"}
    assert rows["Lena Learner"]["left_at"] is not None
    assert client.get(f"{one(sales)}members/", {"at": "yesterday"}).status_code == 400


def test_members_list_costs_a_constant_number_of_queries(world, as_member, sales, django_assert_max_num_queries):
    client = as_member(world.org_admin)
    with django_assert_max_num_queries(10) as few:
        client.get(f"{one(sales)}members/")
    for _ in range(20):
        MembershipFactory(organization=world.org, org_unit=world.sales)
    services.audience_recompute(audience=sales)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(f"{one(sales)}members/")
    assert response.json()["count"] == 24


def test_recompute_answers_how_many_joined_and_left(world, as_member, sales):
    Membership.objects.filter(pk=world.engineer.pk).update(org_unit=world.sales)
    response = as_member(world.org_admin).post(f"{one(sales)}recompute/")
    assert response.status_code == 200
    assert {k: response.json()[k] for k in ("joined", "left", "member_count")} == {
        "joined": 1,
        "left": 0,
        "member_count": 5,
    }


def test_learner_is_refused_every_endpoint(world, as_member, sales):
    client = as_member(world.learner)
    assert client.get(AUDIENCES).status_code == 403
    assert client.post(AUDIENCES, {"name": "x", "rules": {}}, format="json").status_code == 403
    assert client.get(one(sales)).status_code == 403
    assert client.patch(one(sales), {"name": "x"}, format="json").status_code == 403
    assert client.delete(one(sales)).status_code == 403
    assert client.post(PREVIEW, {"rules": {}}, format="json").status_code == 403
    assert client.get(f"{one(sales)}members/").status_code == 403
    assert client.post(f"{one(sales)}recompute/").status_code == 403


def test_instructor_may_read_but_not_write_and_sees_no_names(world, as_member, sales):
    client = as_member(world.instructor)
    assert client.get(one(sales)).status_code == 200
    assert client.get(f"{one(sales)}members/").json()["count"] == 0
    assert client.patch(one(sales), {"name": "x"}, format="json").status_code == 403
    assert client.post(PREVIEW, {"rules": {}}, format="json").status_code == 403


def test_another_organisation_gets_404_and_cannot_name_our_ids(world, as_member, sales):
    client = as_member(world.outsider)
    assert client.get(one(sales)).status_code == 404
    assert client.patch(one(sales), {"name": "x"}, format="json").status_code == 404
    assert client.delete(one(sales)).status_code == 404
    assert client.get(f"{one(sales)}members/").status_code == 404
    assert client.post(f"{one(sales)}recompute/").status_code == 404
    assert client.post(PREVIEW, {"rules": {}, "audience": sales.pk}, format="json").status_code == 404
    response = client.post(
        AUDIENCES,
        {"name": "Theirs", "rules": {"any": [{"audience": sales.pk}, {"org_unit": world.sales.pk}]}},
        format="json",
    )
    assert response.status_code == 400
    assert error_fields(response) == {
        "rules.any[0].audience": rules.UNKNOWN_ID.format(kind="audience", id=sales.pk),
        "rules.any[1].org_unit": rules.UNKNOWN_ID.format(kind="org unit", id=world.sales.pk),
    }
    assert Audience.objects.get(pk=sales.pk).name == "Sales"
