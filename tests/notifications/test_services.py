"""notify, preferences, mandatory types, dedupe and the organisation's settings, from the services' side."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoAssertNumQueries

from syllabus.accounts.models import Organization, User
from syllabus.audit.models import AuditRecord
from syllabus.notifications import selectors, services
from syllabus.notifications.models import (
    Delivery,
    DeliveryStatus,
    Notification,
    OrganizationTypeSetting,
    Preference,
    Template,
)
from syllabus.notifications.services import Notice, PreferenceChange
from syllabus.notifications.types import EMAIL, IN_APP, NotificationType
from tests.conftest import World
from tests.factories import UserFactory
from tests.notifications.conftest import (
    LOCKABLE,
    MANDATORY,
    SAMPLE,
    SAMPLE_CONTEXT,
    Send,
    Smtp,
    declare_type,
    sample_notice,
)

pytestmark = pytest.mark.django_db


def turn(
    user: User,
    type_key: str,
    channel: str,
    enabled: bool,
    organization: Organization | None = None,
    mode: str = "immediate",
) -> None:
    services.preferences_update(
        user=user, organization=organization, changes=[PreferenceChange(type_key, channel, enabled, mode)]
    )


# --- preferences and defaults --------------------------------------------------------------------------------


def test_a_type_sends_on_its_default_channels(
    world: World, sample_type: NotificationType, send: Send, smtp: Smtp
) -> None:
    (notification,) = send(sample_notice(world.learner.user, organization_id=world.org.pk))
    assert notification.in_app
    assert list(Delivery.objects.values_list("channel", "status")) == [(EMAIL, DeliveryStatus.SENT)]
    assert [message.to for message in smtp.outbox] == [[world.learner.user.email]]
    assert selectors.unread_count(user=world.learner.user, organization=world.org) == 1


def test_a_type_without_email_by_default_makes_no_delivery(world: World, send: Send, smtp: Smtp) -> None:
    declare_type("tests.quiet", default_channels=(IN_APP,))
    try:
        (notification,) = send(sample_notice(world.learner.user, type="tests.quiet"))
    finally:
        services.registry.unregister("tests.quiet")
    assert notification.in_app
    assert not Delivery.objects.exists() and smtp.outbox == []


def test_a_person_who_turned_email_off_gets_no_delivery(
    world: World, sample_type: NotificationType, send: Send, smtp: Smtp
) -> None:
    turn(world.learner.user, SAMPLE, EMAIL, False)
    (notification,) = send(sample_notice(world.learner.user))
    assert notification.in_app
    assert not Delivery.objects.exists() and smtp.outbox == []


def test_a_person_who_turned_in_app_off_sees_nothing_in_the_centre(
    world: World, sample_type: NotificationType, send: Send, smtp: Smtp
) -> None:
    turn(world.learner.user, SAMPLE, IN_APP, False)
    (notification,) = send(sample_notice(world.learner.user, organization_id=world.org.pk))
    assert not notification.in_app
    assert not selectors.notification_list(user=world.learner.user, organization=world.org).exists()
    assert selectors.unread_count(user=world.learner.user, organization=world.org) == 0
    assert len(smtp.outbox) == 1


def test_a_person_may_turn_on_a_channel_the_type_leaves_off(world: World, send: Send, smtp: Smtp) -> None:
    declare_type("tests.quiet", default_channels=(IN_APP,))
    try:
        turn(world.learner.user, "tests.quiet", EMAIL, True)
        send(sample_notice(world.learner.user, type="tests.quiet"))
    finally:
        services.registry.unregister("tests.quiet")
    assert len(smtp.outbox) == 1


def test_choices_follow_defaults_then_the_persons_rows(sample_type: NotificationType) -> None:
    defaults = services.choices_for(kind=sample_type, preferences={}, org_mandatory=False)
    assert {key: (c.enabled, c.mode, c.locked) for key, c in defaults.items()} == {
        IN_APP: (True, "immediate", False),
        EMAIL: (True, "immediate", False),
    }
    row = Preference(type_key=SAMPLE, channel=EMAIL, enabled=True, mode="digest")
    chosen = services.choices_for(kind=sample_type, preferences={EMAIL: row}, org_mandatory=False)
    assert chosen[EMAIL].mode == "digest"
    # In-app has no digest, whatever a stale row says.
    row = Preference(type_key=SAMPLE, channel=IN_APP, enabled=True, mode="digest")
    assert services.choices_for(kind=sample_type, preferences={IN_APP: row}, org_mandatory=False)[IN_APP].mode == (
        "immediate"
    )


# --- mandatory types -----------------------------------------------------------------------------------------


def test_a_built_in_mandatory_type_cannot_be_turned_off(world: World, mandatory_type: NotificationType) -> None:
    with pytest.raises(ValidationError) as refused:
        turn(world.learner.user, MANDATORY, EMAIL, False)
    assert refused.value.message_dict == {
        f"{MANDATORY}.{EMAIL}": [services.PREFERENCE_LOCKED.format(type=mandatory_type.label)]
    }
    assert not Preference.objects.exists()


def test_a_refused_change_saves_none_of_the_others(
    world: World, sample_type: NotificationType, mandatory_type: NotificationType
) -> None:
    with pytest.raises(ValidationError) as refused:
        services.preferences_update(
            user=world.learner.user,
            organization=world.org,
            changes=[
                PreferenceChange(SAMPLE, EMAIL, False),
                PreferenceChange(MANDATORY, IN_APP, False),
                PreferenceChange("tests.nothing", EMAIL, False),
                PreferenceChange(SAMPLE, "pigeon", False),
                PreferenceChange(SAMPLE, IN_APP, True, "digest"),
            ],
        )
    assert set(refused.value.message_dict) == {
        f"{MANDATORY}.{IN_APP}",
        f"tests.nothing.{EMAIL}",
        f"{SAMPLE}.pigeon",
        f"{SAMPLE}.{IN_APP}",
    }
    assert refused.value.message_dict[f"{SAMPLE}.{IN_APP}"] == [services.PREFERENCE_NO_DIGEST]
    assert not Preference.objects.exists()


def test_a_stale_disabled_row_does_not_silence_a_mandatory_type(
    world: World, mandatory_type: NotificationType, send: Send, smtp: Smtp
) -> None:
    # Written before the type became mandatory: the service would refuse it now.
    Preference.objects.create(user=world.learner.user, type_key=MANDATORY, channel=EMAIL, enabled=False)
    Preference.objects.create(user=world.learner.user, type_key=MANDATORY, channel=IN_APP, enabled=False)
    (notification,) = send(sample_notice(world.learner.user, type=MANDATORY))
    assert notification.in_app
    assert len(smtp.outbox) == 1


def test_an_org_mandatory_type_cannot_be_turned_off_in_that_organisation(
    world: World, lockable_type: NotificationType, send: Send, smtp: Smtp
) -> None:
    services.type_mandatory_set(organization=world.org, type_key=LOCKABLE, mandatory=True, by=world.org_admin.user)
    with pytest.raises(ValidationError) as refused:
        turn(world.learner.user, LOCKABLE, EMAIL, False, organization=world.org)
    assert refused.value.message_dict == {
        f"{LOCKABLE}.{EMAIL}": [services.PREFERENCE_LOCKED.format(type=lockable_type.label)]
    }
    # In another organisation, where it is optional, the person may turn it off...
    turn(world.learner.user, LOCKABLE, EMAIL, False, organization=world.other_org)
    # ...but the row is ignored for the organisation that made it mandatory.
    send(sample_notice(world.learner.user, type=LOCKABLE, organization_id=world.org.pk))
    assert len(smtp.outbox) == 1
    send(sample_notice(world.learner.user, type=LOCKABLE, organization_id=world.other_org.pk, dedupe_key="other"))
    assert len(smtp.outbox) == 1


def test_only_types_that_allow_it_can_be_made_mandatory_by_an_organisation(
    world: World, sample_type: NotificationType, send: Send, smtp: Smtp
) -> None:
    with pytest.raises(ValidationError) as refused:
        services.type_mandatory_set(organization=world.org, type_key=SAMPLE, mandatory=True, by=world.org_admin.user)
    assert refused.value.message_dict == {"mandatory": [services.MANDATORY_NOT_ALLOWED]}
    # A row written behind the service's back changes nothing either.
    OrganizationTypeSetting.objects.create(organization=world.org, type_key=SAMPLE, mandatory=True)
    turn(world.learner.user, SAMPLE, EMAIL, False, organization=world.org)
    send(sample_notice(world.learner.user, organization_id=world.org.pk))
    assert smtp.outbox == []


def test_making_a_type_mandatory_is_audited_and_needs_the_capability(
    world: World, lockable_type: NotificationType
) -> None:
    for intruder in (world.learner.user, world.outsider.user):
        with pytest.raises(PermissionDenied):
            services.type_mandatory_set(organization=world.org, type_key=LOCKABLE, mandatory=True, by=intruder)
    services.type_mandatory_set(organization=world.org, type_key=LOCKABLE, mandatory=True, by=world.org_admin.user)
    services.type_mandatory_set(organization=world.org, type_key=LOCKABLE, mandatory=True, by=world.org_admin.user)
    records = AuditRecord.objects.filter(action="notification.mandatory_changed")
    assert records.count() == 1
    assert records.get().after == {"type": LOCKABLE, "mandatory": True}


# --- dedupe --------------------------------------------------------------------------------------------------


def test_the_same_key_twice_sends_once(world: World, sample_type: NotificationType, send: Send, smtp: Smtp) -> None:
    first = send(sample_notice(world.learner.user))
    again = send(sample_notice(world.learner.user, context={**SAMPLE_CONTEXT, "course_title": "Changed"}))
    assert len(first) == 1 and again == []
    assert Notification.objects.count() == 1 and Delivery.objects.count() == 1
    assert len(smtp.outbox) == 1
    assert services.notify(sample_notice(world.learner.user)) is None


def test_duplicates_inside_one_batch_send_once(
    world: World, sample_type: NotificationType, send: Send, smtp: Smtp
) -> None:
    created = send(
        sample_notice(world.learner.user),
        sample_notice(world.learner.user),
        sample_notice(world.learner.user, dedupe_key="sample:2"),
    )
    assert sorted(n.dedupe_key for n in created) == ["sample:1", "sample:2"]
    assert len(smtp.outbox) == 2


def test_different_people_with_the_same_key_each_get_it(
    world: World, sample_type: NotificationType, send: Send, smtp: Smtp
) -> None:
    created = send(sample_notice(world.learner.user), sample_notice(world.manager.user))
    assert {n.recipient_id for n in created} == {world.learner.user.pk, world.manager.user.pk}
    assert sorted(message.to[0] for message in smtp.outbox) == sorted(
        [world.learner.user.email, world.manager.user.email]
    )


def test_a_key_inserted_by_a_concurrent_job_is_dropped_without_failing_the_batch(
    world: World, sample_type: NotificationType, send: Send, smtp: Smtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another worker inserts the learner's notice after this batch checked the keys: the insert hits the
    unique constraint, and only the learner's notice is dropped."""
    render = services._render
    competitor: list[Notification] = []

    def render_while_another_job_inserts(notice: Notice, *args: Any) -> Any:
        if not competitor:
            competitor.append(
                Notification.objects.create(
                    recipient=world.learner.user,
                    type_key=SAMPLE,
                    dedupe_key="sample:1",
                    subject="Sent by the other job",
                    body="",
                    created_at=services.clock.now(),
                    in_app=True,
                )
            )
        return render(notice, *args)

    monkeypatch.setattr(services, "_render", render_while_another_job_inserts)
    with transaction.atomic():  # the business transaction carries on after the conflict
        created = send(sample_notice(world.learner.user), sample_notice(world.manager.user))
        assert Notification.objects.filter(recipient=world.manager.user).exists()
    assert [n.recipient_id for n in created] == [world.manager.user.pk]
    assert Notification.objects.get(recipient=world.learner.user).subject == "Sent by the other job"
    assert [message.to for message in smtp.outbox] == [[world.manager.user.email]]
    assert Delivery.objects.get().notification.recipient_id == world.manager.user.pk


def test_notify_many_costs_the_same_queries_for_5_or_50_notices(
    world: World,
    sample_type: NotificationType,
    lockable_type: NotificationType,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    people = [UserFactory(time_zone="Europe/Paris") for _index in range(50)]
    for person in people[::3]:
        turn(person, SAMPLE, EMAIL, True, mode="digest")
        services.person_settings_update(user=person, quiet_start=None, quiet_end=None, digest_time=dt.time(7))
    services.type_mandatory_set(organization=world.org, type_key=LOCKABLE, mandatory=True, by=world.org_admin.user)
    services.template_save(
        organization=world.org,
        type_key=SAMPLE,
        language="en",
        subject="{{ course_title }}",
        body="Hello {{ learner_name }}",
        by=world.org_admin.user,
    )

    def notices(batch: str, count: int) -> list[Notice]:
        return [
            sample_notice(
                person, type=(SAMPLE, LOCKABLE)[index % 2], dedupe_key=f"{batch}:{index}", organization_id=world.org.pk
            )
            for index, person in enumerate(people[:count])
        ]

    with CaptureQueriesContext(connection) as five:
        assert len(services.notify_many(notices("five", 5))) == 5
    with django_assert_max_num_queries(len(five.captured_queries)):
        assert len(services.notify_many(notices("fifty", 50))) == 50
    assert Delivery.objects.filter(notification__dedupe_key__startswith="fifty").count() == 50


# --- who may receive -----------------------------------------------------------------------------------------


def test_a_deactivated_person_gets_no_notification(world: World, sample_type: NotificationType, send: Send) -> None:
    world.learner.user.is_active = False
    world.learner.user.save(update_fields=["is_active"])
    assert send(sample_notice(world.learner.user)) == []
    assert not Notification.objects.exists()


def test_a_wrong_context_is_a_programming_error_reported_at_once(world: World, sample_type: NotificationType) -> None:
    with pytest.raises(ValueError, match="needs starts_at"):
        services.notify(sample_notice(world.learner.user, context={"learner_name": "L", "course_title": "C"}))
    with pytest.raises(ValueError, match="no placeholder password"):
        services.notify(sample_notice(world.learner.user, context={**SAMPLE_CONTEXT, "password": "x"}))
    with pytest.raises(ValueError, match="must be text"):
        services.notify(sample_notice(world.learner.user, context={**SAMPLE_CONTEXT, "learner_name": world.learner}))
    with pytest.raises(LookupError):
        services.notify(sample_notice(world.learner.user, type="tests.never_declared"))
    assert not Notification.objects.exists()


# --- the centre ----------------------------------------------------------------------------------------------


def test_marking_read_touches_only_the_persons_own_notifications_of_that_organisation(
    world: World, sample_type: NotificationType, send: Send
) -> None:
    mine, account, elsewhere, theirs = send(
        sample_notice(world.learner.user, organization_id=world.org.pk),
        sample_notice(world.learner.user, dedupe_key="account"),
        sample_notice(world.learner.user, organization_id=world.other_org.pk, dedupe_key="elsewhere"),
        sample_notice(world.manager.user, organization_id=world.org.pk),
    )
    learner = world.learner.user
    ids = [mine.pk, account.pk, elsewhere.pk, theirs.pk]
    assert services.notifications_mark_read(user=learner, organization=world.org, ids=ids) == 2
    assert services.notifications_mark_read(user=learner, organization=world.org, ids=ids) == 0
    assert services.notifications_mark_unread(user=learner, organization=world.org, ids=ids) == 2
    assert services.notifications_mark_all_read(user=learner, organization=world.org) == 2
    assert set(Notification.objects.filter(read_at__isnull=True).values_list("pk", flat=True)) == {
        elsewhere.pk,
        theirs.pk,
    }


# --- organisation wording ------------------------------------------------------------------------------------


def test_saving_wording_is_validated_audited_and_reserved_to_managers(
    world: World, sample_type: NotificationType
) -> None:
    def save(subject: str, body: str, by: Any) -> Template:
        return services.template_save(
            organization=world.org, type_key=SAMPLE, language="en", subject=subject, body=body, by=by
        )

    with pytest.raises(PermissionDenied):
        save("{{ course_title }}", "Hi", world.learner.user)
    with pytest.raises(PermissionDenied):
        save("{{ course_title }}", "Hi", world.outsider.user)
    with pytest.raises(ValidationError) as refused:
        save("{{ user.password }}", "{% load x %}", world.org_admin.user)
    assert set(refused.value.message_dict) == {"subject", "body"}
    with pytest.raises(ValidationError) as refused:
        save("  ", "Hi", world.org_admin.user)
    assert refused.value.message_dict == {"subject": [services.TEMPLATE_EMPTY]}
    assert not Template.objects.exists()

    template = save(" {{ course_title }} is open ", "Hi {{ learner_name }}", world.org_admin.user)
    assert template.subject == "{{ course_title }} is open"
    assert services.template_reset(organization=world.org, type_key=SAMPLE, language="en", by=world.org_admin.user)
    assert not services.template_reset(organization=world.org, type_key=SAMPLE, language="en", by=world.org_admin.user)
    assert list(
        AuditRecord.objects.filter(action__startswith="notification.template")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["notification.template_saved", "notification.template_reset"]


def test_account_level_types_cannot_be_reworded_per_organisation(world: World) -> None:
    declare_type("tests.security", account_level=True, mandatory=True)
    try:
        with pytest.raises(ValidationError) as refused:
            services.template_save(
                organization=world.org,
                type_key="tests.security",
                language="en",
                subject="x",
                body="y",
                by=world.org_admin.user,
            )
    finally:
        services.registry.unregister("tests.security")
    assert refused.value.message_dict == {"type_key": [services.TEMPLATE_ACCOUNT_LEVEL]}


def test_quiet_hours_need_both_ends(world: World) -> None:
    with pytest.raises(ValidationError):
        services.person_settings_update(
            user=world.learner.user, quiet_start=dt.time(22), quiet_end=None, digest_time=dt.time(8)
        )
    saved = services.person_settings_update(
        user=world.learner.user, quiet_start=dt.time(22), quiet_end=dt.time(7), digest_time=dt.time(9)
    )
    assert services.person_settings_get(world.learner.user) == saved
    assert services.person_settings_get(world.manager.user).digest_time == dt.time(8)


def test_notify_many_sends_large_lists_in_batches_and_dedupes_across_them(
    world: World, sample_type: NotificationType, send: Send, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "BATCH", 2)
    people = [UserFactory() for _ in range(4)]
    notices = [sample_notice(person, dedupe_key="batch:1") for person in people]
    # The same person and key again, in a later batch than the first: dropped.
    created = send(*notices, sample_notice(people[0], dedupe_key="batch:1"))
    assert sorted(n.recipient_id for n in created) == sorted(p.pk for p in people)
    assert Notification.objects.filter(dedupe_key="batch:1").count() == 4


def test_template_save_holds_the_length_limits_whoever_calls_it(world: World, sample_type: NotificationType) -> None:
    from syllabus.notifications import rendering

    with pytest.raises(ValidationError) as refused:
        services.template_save(
            organization=world.org,
            type_key=SAMPLE,
            language="en",
            subject="x" * (rendering.SUBJECT_MAX + 1),
            body="y" * (rendering.BODY_MAX + 1),
            by=world.org_admin.user,
        )
    assert set(refused.value.message_dict) == {"subject", "body"}
    assert not Template.objects.exists()


def test_only_the_types_that_concern_the_person_are_listed(
    world: World, sample_type: NotificationType, client: Any
) -> None:
    declare_type("tests.approvers_only", shown_to=lambda user, organization: user.pk == world.manager.user.pk)
    assert "tests.approvers_only" not in [
        k.key for k in selectors.types_for(user=world.learner.user, organization=world.org)
    ]
    assert "tests.approvers_only" in [
        k.key for k in selectors.types_for(user=world.manager.user, organization=world.org)
    ]
