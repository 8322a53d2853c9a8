"""Audience services: permissions, materialised membership with effective dates, events, and recomputes that
follow people changes, org-unit moves and the passing of time."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError

from syllabus.accounts import services as accounts_services
from syllabus.accounts.models import Membership
from syllabus.audiences import events, rules, selectors, services, tasks
from syllabus.audiences.models import Audience, AudienceMembership
from syllabus.celery import app as celery_app
from syllabus.core.events import subscribe, unsubscribe
from tests.audiences.conftest import NOW, make_audience
from tests.factories import JobRoleFactory, MembershipFactory, OrgUnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def received():
    """Every audience event dispatched during the test, in order."""
    seen: list[object] = []
    kinds = (
        events.AudienceMemberJoined,
        events.AudienceMemberLeft,
        events.AudienceRecomputed,
        events.AudienceCreated,
        events.AudienceChanged,
        events.AudienceDeleted,
    )
    for kind in kinds:
        subscribe(kind, seen.append)
    yield seen
    for kind in kinds:
        unsubscribe(kind, seen.append)


def ids(audience: Audience, at: dt.datetime | None = None) -> set[int]:
    return set(selectors.member_ids(audience, at=at).values_list("membership_id", flat=True))


def sales_people(world) -> set[int]:
    return {world.manager.pk, world.report.pk, world.indirect_report.pk, world.learner.pk}


# --- who may do what --------------------------------------------------------------------------------------------


def test_org_admin_creates_an_audience_and_its_members_are_computed_after_commit(
    world, moved_clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        audience = make_audience(world, "Sales", {"org_unit": world.sales.pk})
    audience.refresh_from_db()
    assert ids(audience) == sales_people(world)
    assert audience.member_count == 4
    assert audience.last_recomputed_at == NOW
    assert not audience.is_stale
    assert audience.created_by == world.org_admin.user


@pytest.mark.parametrize("persona", ["learner", "instructor", "manager", "outsider"])
def test_people_without_audience_manage_cannot_create_change_delete_or_recompute(world, persona):
    audience = make_audience(world, "Sales", {"org_unit": world.sales.pk})
    user = getattr(world, persona).user
    with pytest.raises(PermissionDenied):
        services.audience_create(organization=world.org, by=user, name="Mine", rules_tree={"all": []})
    with pytest.raises(PermissionDenied):
        services.audience_update(audience=audience, by=user, name="Renamed")
    with pytest.raises(PermissionDenied):
        services.audience_recompute(audience=audience, by=user)
    with pytest.raises(PermissionDenied):
        services.audience_delete(audience=audience, by=user)


def test_names_are_unique_per_organisation(world):
    make_audience(world, "Sales", {"all": []})
    with pytest.raises(ValidationError) as caught:
        make_audience(world, " Sales ", {"all": []})
    assert caught.value.message_dict == {"name": [services.NAME_TAKEN]}
    services.audience_create(organization=world.other_org, by=world.outsider.user, name="Sales", rules_tree={"all": []})


def test_an_audience_included_by_another_cannot_be_deleted(world):
    base = make_audience(world, "Base", {"all": []})
    make_audience(world, "Uses base", {"audience": base.pk})
    with pytest.raises(ValidationError) as caught:
        services.audience_delete(audience=base, by=world.org_admin.user)
    assert caught.value.messages == [services.IN_USE.format(names="“Uses base”")]


# --- materialised membership and points in time ------------------------------------------------------------------


def test_recompute_records_joins_and_leaves_with_their_times(world, moved_clock):
    audience = make_audience(world, "Sales", {"org_unit": world.sales.pk})
    services.audience_recompute(audience=audience)
    t_created = moved_clock.now
    # The learner moves to engineering; the engineer moves to sales.
    t_moved = moved_clock.move(days=3)
    Membership.objects.filter(pk=world.learner.pk).update(org_unit=world.engineering)
    Membership.objects.filter(pk=world.engineer.pk).update(org_unit=world.sales_east)
    result = services.audience_recompute(audience=audience, by=world.org_admin.user)
    assert result.joined == (world.engineer.pk,)
    assert result.left == (world.learner.pk,)
    assert result.member_count == 4
    # And back again a week later: a second stay, not a reopened one.
    t_back = moved_clock.move(days=7)
    Membership.objects.filter(pk=world.learner.pk).update(org_unit=world.sales)
    services.audience_recompute(audience=audience)
    assert ids(audience, at=t_created) == sales_people(world)
    assert ids(audience, at=t_moved - dt.timedelta(seconds=1)) == sales_people(world)
    assert ids(audience, at=t_moved) == sales_people(world) - {world.learner.pk} | {world.engineer.pk}
    assert ids(audience, at=t_back) == sales_people(world) | {world.engineer.pk}
    assert ids(audience, at=t_created - dt.timedelta(seconds=1)) == set()
    stays = AudienceMembership.objects.filter(audience=audience, membership=world.learner).order_by("joined_at")
    assert [(stay.joined_at, stay.left_at) for stay in stays] == [(t_created, t_moved), (t_back, None)]
    assert selectors.member_count(audience=audience, at=t_moved) == 4
    assert selectors.is_member(audience=audience, membership=world.learner, at=t_moved) is False
    assert selectors.is_member(audience=audience, membership=world.learner) is True


def test_a_recompute_with_no_change_writes_nothing_and_emits_nothing(
    world, moved_clock, received, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    audience = make_audience(world, "Sales", {"org_unit": world.sales.pk})
    services.audience_recompute(audience=audience)
    received.clear()
    moved_clock.move(hours=1)
    with django_capture_on_commit_callbacks(execute=True), django_assert_max_num_queries(9):
        result = services.audience_recompute(audience=audience)
    assert not result.changed
    assert received == []
    assert AudienceMembership.objects.filter(audience=audience).count() == 4


def test_join_and_leave_events_are_emitted_only_after_commit(
    world, moved_clock, received, django_capture_on_commit_callbacks
):
    audience = make_audience(world, "Sales", {"org_unit": world.sales.pk})
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.audience_recompute(audience=audience)
    assert received == []  # nothing before the commit
    for callback in callbacks:
        callback()
    joined = [event for event in received if isinstance(event, events.AudienceMemberJoined)]
    assert {event.membership_id for event in joined} == sales_people(world)
    assert all(event.at == NOW and event.audience_id == audience.pk for event in joined)
    batch = [event for event in received if isinstance(event, events.AudienceRecomputed)]
    assert batch == [
        events.AudienceRecomputed(world.org.pk, audience.pk, NOW, tuple(sorted(sales_people(world))), (), 4)
    ]
    received.clear()
    moved_clock.move(minutes=5)
    with django_capture_on_commit_callbacks(execute=True):
        Membership.objects.filter(pk=world.report.pk).update(is_active=False)
        services.audience_recompute(audience=audience)
    assert [type(event) for event in received] == [events.AudienceMemberLeft, events.AudienceRecomputed]
    assert received[0] == events.AudienceMemberLeft(world.org.pk, audience.pk, world.report.pk, moved_clock.now)


def test_recompute_for_some_people_touches_only_them(world, moved_clock):
    audience = make_audience(world, "Sales", {"org_unit": world.sales.pk})
    services.audience_recompute(audience=audience)
    Membership.objects.filter(pk__in=[world.learner.pk, world.manager.pk]).update(org_unit=world.engineering)
    result = services.audience_recompute(audience=audience, membership_ids=[world.learner.pk])
    assert result.left == (world.learner.pk,)
    assert world.manager.pk in ids(audience)  # not recomputed: not in the subset
    assert result.member_count == 3


# --- following people changes through domain events --------------------------------------------------------------


@pytest.fixture
def sales_audience(world, moved_clock, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        audience = make_audience(world, "Sales", {"org_unit": world.sales.pk})
    return audience


def test_a_new_person_joins_when_created_through_the_service(world, sales_audience, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        person = accounts_services.person_create(
            organization=world.org,
            by=world.org_admin.user,
            person=accounts_services.PersonInput(email="new@example.test", display_name="New Person"),
            org_unit=world.sales_east,
        )
    assert person.pk in ids(sales_audience)


def test_a_person_who_moves_department_leaves_and_the_other_joins(
    world, sales_audience, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        accounts_services.membership_update(membership=world.learner, by=world.org_admin.user, org_unit=world.hq)
        accounts_services.membership_update(membership=world.engineer, by=world.org_admin.user, org_unit=world.sales)
    assert ids(sales_audience) == sales_people(world) - {world.learner.pk} | {world.engineer.pk}


def test_a_deactivated_person_leaves_and_comes_back_when_reactivated(
    world, sales_audience, moved_clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        accounts_services.membership_deactivate(membership=world.report, by=world.org_admin.user)
    assert world.report.pk not in ids(sales_audience)
    moved_clock.move(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        accounts_services.membership_reactivate(membership=world.report, by=world.org_admin.user)
    assert world.report.pk in ids(sales_audience)
    assert AudienceMembership.objects.filter(audience=sales_audience, membership=world.report).count() == 2


def test_a_change_that_no_rule_reads_recomputes_nothing(
    world, sales_audience, django_capture_on_commit_callbacks, monkeypatch
):
    calls = []
    monkeypatch.setattr(tasks.recompute_for_people, "delay", lambda *args: calls.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        accounts_services.membership_update(membership=world.learner, by=world.org_admin.user, display_name="Lena L")
        accounts_services.membership_update(membership=world.learner, by=world.org_admin.user, employee_id="E-1")
    assert calls == []
    with django_capture_on_commit_callbacks(execute=True):
        accounts_services.membership_update(
            membership=world.learner, by=world.org_admin.user, hire_date=dt.date(2020, 1, 1)
        )
    assert calls == [(world.org.pk, [world.learner.pk])]


def test_moving_an_org_unit_recomputes_department_audiences(world, sales_audience, django_capture_on_commit_callbacks):
    # Engineering moves under Sales: its people are now in Sales' subtree.
    with django_capture_on_commit_callbacks(execute=True):
        accounts_services.org_unit_update(unit=world.engineering, by=world.org_admin.user, parent=world.sales)
    assert world.engineer.pk in ids(sales_audience)


def test_new_rules_recompute_the_audience_and_those_that_include_it(
    world, moved_clock, django_capture_on_commit_callbacks
):
    nurse = JobRoleFactory(organization=world.org, name="Nurse")
    Membership.objects.filter(pk=world.engineer.pk).update(job_role=nurse)
    with django_capture_on_commit_callbacks(execute=True):
        sales = make_audience(world, "Sales", {"org_unit": world.sales.pk})
        wider = make_audience(world, "Sales or nurses", {"any": [{"audience": sales.pk}, {"job_role": [nurse.pk]}]})
    assert ids(wider) == sales_people(world) | {world.engineer.pk}
    moved_clock.move(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        services.audience_update(audience=sales, by=world.org_admin.user, rules_tree={"org_unit": world.sales_east.pk})
    assert ids(sales) == {world.indirect_report.pk, world.learner.pk}
    assert ids(wider) == {world.indirect_report.pk, world.learner.pk, world.engineer.pk}


def test_dependency_order_puts_included_audiences_first(world):
    a = make_audience(world, "A", {"all": []})
    c = make_audience(world, "C", {"all": []})
    b = make_audience(world, "B", {"all": [{"audience": a.pk}, {"audience": c.pk}]})
    services.audience_update(audience=c, by=world.org_admin.user, rules_tree={"audience": a.pk})
    order = services.dependency_order(world.org.pk)
    assert order.index(a.pk) < order.index(c.pk) < order.index(b.pk)
    # Asking for A brings in everything that includes it, transitively.
    assert set(services.dependency_order(world.org.pk, [a.pk])) == {a.pk, b.pk, c.pk}
    assert services.dependency_order(world.org.pk, [b.pk]) == [b.pk]


def test_the_longest_allowed_audience_chain_matches_through_every_level(world, moved_clock):
    previous = make_audience(world, "Level 0", {"org_unit": world.sales.pk})
    for level in range(1, rules.MAX_REFERENCE_DEPTH + 1):
        previous = make_audience(world, f"Level {level}", {"audience": previous.pk})
    services.audience_recompute(audience=previous)
    assert ids(previous) == sales_people(world)


# --- time ----------------------------------------------------------------------------------------------------------


def test_hired_within_n_days_follows_the_clock_through_the_nightly_task(world, moved_clock):
    Membership.objects.filter(pk=world.learner.pk).update(hire_date=NOW.date() - dt.timedelta(days=28))
    Membership.objects.filter(pk=world.engineer.pk).update(hire_date=NOW.date() + dt.timedelta(days=2))
    audience = make_audience(world, "New starters", {"hire_date": {"within_days": 30}})
    assert audience.is_time_based
    services.audience_recompute(audience=audience)
    assert ids(audience) == {world.learner.pk}  # the engineer has not started yet
    moved_clock.move(days=3)  # the learner is now 31 days in; the engineer started yesterday
    summary = tasks.recompute_time_based.delay().get()
    assert summary == {"audiences": 1, "joined": 1, "left": 1}
    assert ids(audience) == {world.engineer.pk}
    assert ids(audience, at=NOW) == {world.learner.pk}


def test_today_is_the_organisations_today(world, moved_clock):
    # 09:30 UTC on 2 March is already 22:30 on 2 March in Auckland... and 3 March at 00:30 in Kiritimati (+14).
    world.org.default_time_zone = "Pacific/Kiritimati"
    world.org.save()
    assert rules.organization_today(world.org) == dt.date(2026, 3, 2)
    moved_clock.move(hours=15)
    assert rules.organization_today(world.org) == dt.date(2026, 3, 3)


def test_the_nightly_task_also_recomputes_audiences_that_include_a_time_based_one(world, moved_clock):
    Membership.objects.filter(pk=world.learner.pk).update(hire_date=NOW.date())
    starters = make_audience(world, "New starters", {"hire_date": {"within_days": 7}})
    sales_starters = make_audience(
        world, "New in sales", {"all": [{"audience": starters.pk}, {"org_unit": world.sales.pk}]}
    )
    assert not sales_starters.is_time_based
    tasks.recompute_time_based.delay()
    assert ids(sales_starters) == {world.learner.pk}
    moved_clock.move(days=8)
    tasks.recompute_time_based.delay()
    assert ids(sales_starters) == set()


def test_beat_runs_the_time_based_recompute_nightly_under_its_registered_name():
    entry = settings.CELERY_BEAT_SCHEDULE["audiences-time-based"]
    assert entry["task"] == tasks.recompute_time_based.name
    assert tasks.recompute_time_based.name in celery_app.tasks
    assert entry["schedule"].hour == {2}


def test_tasks_are_idempotent_and_ignore_what_no_longer_exists(world, moved_clock):
    audience = make_audience(world, "Sales", {"org_unit": world.sales.pk})
    assert tasks.recompute_audience.delay(audience.pk).get()["joined"] == 4
    assert tasks.recompute_audience.delay(audience.pk).get() == {"audiences": 1, "joined": 0, "left": 0}
    assert tasks.recompute_organization.delay(world.org.pk, "all").get() == {"audiences": 1, "joined": 0, "left": 0}
    assert tasks.recompute_for_people.delay(world.org.pk, [world.learner.pk]).get()["audiences"] == 1
    assert tasks.recompute_audience.delay(999_999).get() == {"audiences": 0, "joined": 0, "left": 0}
    assert tasks.recompute_organization.delay(999_999).get() == {"audiences": 0, "joined": 0, "left": 0}


def test_a_deleted_department_matches_nobody_instead_of_failing(world, moved_clock):
    empty = OrgUnitFactory(organization=world.org, name="Soon gone", parent=world.hq)
    audience = make_audience(world, "Gone", {"any": [{"org_unit": empty.pk}, {"not": {"org_unit": empty.pk}}]})
    accounts_services.org_unit_delete(unit=empty, by=world.org_admin.user)
    services.audience_recompute(audience=audience)
    active = Membership.objects.filter(organization=world.org, is_active=True).count()
    assert Audience.objects.get(pk=audience.pk).member_count == active


def test_people_of_another_organisation_never_join(world, moved_clock):
    MembershipFactory(organization=world.other_org)
    audience = make_audience(world, "Everyone", {"all": []})
    services.audience_recompute(audience=audience)
    assert ids(audience) == set(
        Membership.objects.filter(organization=world.org, is_active=True).values_list("pk", flat=True)
    )


def test_changes_made_by_people_are_in_the_audit_trail(world, moved_clock):
    from syllabus.audit.models import AuditRecord

    audience = make_audience(world, "Sales", {"org_unit": world.sales.pk})
    services.audience_update(audience=audience, by=world.org_admin.user, name="Sales team")
    services.audience_recompute(audience=audience, by=world.org_admin.user)
    services.audience_recompute(audience=audience)  # the system's own recomputes are not audited
    services.audience_delete(audience=audience, by=world.org_admin.user)
    actions = list(
        AuditRecord.objects.filter(organization=world.org, action__startswith="audience.")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["audience.created", "audience.changed", "audience.recomputed", "audience.deleted"]


def test_a_persons_stays_are_exported_and_closed_when_they_are_erased(world, moved_clock):
    from syllabus.core import privacy

    audience = make_audience(world, "Sales", {"org_unit": world.sales.pk})
    services.audience_recompute(audience=audience)
    exported = privacy.export_person(world.learner.user, world.org)["audiences"]
    assert exported == {
        "audience_stays": [
            {"organization": "Acme Health", "audience": "Sales", "joined_at": NOW.isoformat(), "left_at": None}
        ]
    }
    moved_clock.move(days=1)
    from syllabus.audiences import privacy as audience_privacy

    audience_privacy.erase_person(world.learner.user, world.org_admin.user)
    stay = AudienceMembership.objects.get(audience=audience, membership=world.learner)
    assert stay.left_at == moved_clock.now
    assert Audience.objects.get(pk=audience.pk).member_count == 3


def test_deleting_the_organisation_deletes_audiences_that_include_each_other(world, moved_clock):
    base = make_audience(world, "Base", {"org_unit": world.sales.pk})
    make_audience(world, "Uses base", {"audience": base.pk})
    services.audience_recompute(audience=base)
    world.org.delete()
    assert not Audience.objects.exists()
    assert not AudienceMembership.objects.exists()
