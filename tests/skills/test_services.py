"""Skills and proficiency scales through their services: the tree's invariants, permissions, audit and events."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from syllabus.audit import actions
from syllabus.audit.models import AuditRecord
from syllabus.core import events as core_events
from syllabus.skills import events, selectors, services
from syllabus.skills.imports import MAX_DEPTH
from syllabus.skills.models import ProficiencyLevel, ProficiencyScale, Skill
from tests.factories import ActivityFactory, CourseFactory
from tests.skills.conftest import add

pytestmark = pytest.mark.django_db


@pytest.fixture
def received():
    """Every skills event dispatched during the test."""
    seen: list[object] = []
    kinds = [
        events.SkillCreated,
        events.SkillChanged,
        events.SkillMoved,
        events.SkillDeactivated,
        events.SkillReactivated,
        events.SkillDeleted,
        events.SkillsImported,
    ]
    for kind in kinds:
        core_events.subscribe(kind, seen.append)
    yield seen
    for kind in kinds:
        core_events.unsubscribe(kind, seen.append)


def last_audit(action: str) -> AuditRecord:
    return AuditRecord.objects.filter(action=action).order_by("-seq").first()


# --- creating and changing -------------------------------------------------------------------------------------


def test_a_new_skill_gets_its_path_an_audit_record_and_an_event_after_commit(
    world, framework, received, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        skill = add(world, "Glove-Use", "  Glove   use ", framework.infection)
    skill.refresh_from_db()
    assert skill.code == "glove-use"  # codes are stored in lower case
    assert skill.name == "Glove use"
    assert skill.path == f"{framework.infection.path}{skill.pk}/"
    assert skill.depth == 2
    assert skill.ancestor_ids == [framework.safety.pk, framework.infection.pk]
    record = last_audit("skill.created")
    assert record.target_id == str(skill.pk)
    assert record.after["code"] == "glove-use"
    assert received == [events.SkillCreated(world.org.pk, skill.pk, world.org_admin.user.pk)]


def test_codes_are_unique_per_organisation_and_must_be_slugs(world, framework):
    with pytest.raises(ValidationError) as taken:
        add(world, "HAND-HYGIENE", "Another")
    assert taken.value.message_dict == {"code": [services.CODE_TAKEN]}
    with pytest.raises(ValidationError) as invalid:
        add(world, "hand hygiène", "Another")
    assert invalid.value.message_dict == {"code": [services.CODE_INVALID]}
    # Another organisation may use the same code.
    services.skill_create(
        organization=world.other_org, by=world.outsider.user, code="hand-hygiene", name="Hand hygiene"
    )


def test_a_learner_or_an_instructor_cannot_change_the_framework(world, framework):
    for person in (world.learner, world.instructor, world.reviewer):
        with pytest.raises(PermissionDenied):
            services.skill_create(organization=world.org, by=person.user, code="x", name="X")
        with pytest.raises(PermissionDenied):
            services.skill_update(skill=framework.hygiene, by=person.user, name="Hacked")
        with pytest.raises(PermissionDenied):
            services.skill_delete(skill=framework.hygiene, by=person.user)
        with pytest.raises(PermissionDenied):
            services.scale_delete(scale=framework.scale, by=person.user)
    assert Skill.objects.get(pk=framework.hygiene.pk).name == "Hand hygiene"


def test_another_organisations_admin_cannot_touch_this_framework(world, framework):
    with pytest.raises(PermissionDenied):
        services.skill_update(skill=framework.hygiene, by=world.outsider.user, name="Hacked")
    with pytest.raises(PermissionDenied):
        services.skill_move(skill=framework.hygiene, by=world.outsider.user, parent=None)
    with pytest.raises(PermissionDenied):
        services.skill_deactivate(skill=framework.safety, by=world.outsider.user)


def test_a_parent_or_scale_of_another_organisation_is_refused(world, framework):
    foreign_scale = services.scale_create_default(organization=world.other_org, by=world.outsider.user)
    foreign = services.skill_create(organization=world.other_org, by=world.outsider.user, code="spy", name="Spy")
    with pytest.raises(ValidationError) as exc:
        add(world, "x", "X", foreign, scale=foreign_scale)
    assert exc.value.message_dict == {"parent": [services.NO_SUCH_SKILL], "scale": [services.NO_SUCH_SCALE]}
    with pytest.raises(ValidationError):
        services.skill_move(skill=framework.hygiene, by=world.org_admin.user, parent=foreign)
    with pytest.raises(ValidationError):
        services.skill_update(skill=framework.hygiene, by=world.org_admin.user, scale=foreign_scale)
    assert Skill.objects.get(pk=framework.hygiene.pk).scale_id == framework.scale.pk


def test_updating_records_only_what_changed(world, framework, received, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.skill_update(
            skill=framework.hygiene, by=world.org_admin.user, name="Hand hygiene", description="New", scale=None
        )
    record = last_audit("skill.changed")
    assert record.before == {"description": "The five moments.", "scale_id": framework.scale.pk}
    assert record.after == {"description": "New", "scale_id": None}
    assert received == [
        events.SkillChanged(world.org.pk, framework.hygiene.pk, world.org_admin.user.pk, ("description", "scale"))
    ]
    count = AuditRecord.objects.count()
    services.skill_update(skill=framework.hygiene, by=world.org_admin.user, name="Hand hygiene")
    assert AuditRecord.objects.count() == count  # nothing changed, nothing recorded


# --- moving ----------------------------------------------------------------------------------------------------


def test_moving_a_skill_rewrites_the_paths_of_its_whole_subtree(world, framework):
    services.skill_move(skill=framework.infection, by=world.org_admin.user, parent=framework.leadership)
    infection = Skill.objects.get(pk=framework.infection.pk)
    hygiene = Skill.objects.get(pk=framework.hygiene.pk)
    assert infection.parent_id == framework.leadership.pk
    assert infection.path == f"/{framework.leadership.pk}/{infection.pk}/"
    assert hygiene.path == f"/{framework.leadership.pk}/{infection.pk}/{hygiene.pk}/"
    assert set(selectors.skill_subtree_ids(skill=framework.leadership)) == {
        framework.leadership.pk,
        framework.coaching.pk,
        infection.pk,
        hygiene.pk,
    }
    assert last_audit("skill.moved").after == {"parent_id": framework.leadership.pk}
    services.skill_move(skill=infection, by=world.org_admin.user, parent=None)
    assert Skill.objects.get(pk=framework.hygiene.pk).path == f"/{infection.pk}/{hygiene.pk}/"


def test_a_skill_cannot_move_under_itself_or_its_own_sub_skills(world, framework):
    for target in (framework.safety, framework.hygiene):
        with pytest.raises(ValidationError) as exc:
            services.skill_move(skill=framework.safety, by=world.org_admin.user, parent=target)
        assert exc.value.message_dict == {"parent": [services.PARENT_CYCLE]}
    assert Skill.objects.get(pk=framework.safety.pk).parent_id is None


def test_the_tree_has_a_maximum_depth(world, framework):
    parent = framework.hygiene  # depth 2
    for level in range(3, MAX_DEPTH):
        parent = add(world, f"level-{level}", f"Level {level}", parent)
    assert parent.depth == MAX_DEPTH - 1
    with pytest.raises(ValidationError) as exc:
        add(world, "too-deep", "Too deep", parent)
    assert exc.value.message_dict == {"parent": [services.TOO_DEEP]}
    # Moving Leadership (with Coaching below it) under the deepest skill would also pass the limit.
    with pytest.raises(ValidationError):
        services.skill_move(skill=framework.leadership, by=world.org_admin.user, parent=parent.parent)


# --- deactivating, reactivating, deleting ------------------------------------------------------------------


def test_deactivating_retires_the_whole_subtree_and_hides_it_from_choices(
    world, framework, received, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        count = services.skill_deactivate(skill=framework.infection, by=world.org_admin.user)
    assert count == 2
    assert set(Skill.objects.filter(is_active=False).values_list("pk", flat=True)) == {
        framework.infection.pk,
        framework.hygiene.pk,
    }
    assert received == [
        events.SkillDeactivated(
            world.org.pk,
            framework.infection.pk,
            world.org_admin.user.pk,
            (framework.infection.pk, framework.hygiene.pk),
        )
    ]
    labels = [label for _pk, label in selectors.skill_choices(world.org)]
    assert "Hand hygiene" not in " ".join(labels)
    # A form that already holds the retired skill still offers it, marked.
    held = dict(selectors.skill_choices(world.org, include=[framework.hygiene.pk]))
    assert held[framework.hygiene.pk].endswith("Hand hygiene (deactivated)")


def test_a_skill_cannot_be_reactivated_or_added_under_a_deactivated_parent(world, framework):
    services.skill_deactivate(skill=framework.infection, by=world.org_admin.user)
    with pytest.raises(ValidationError) as exc:
        services.skill_reactivate(skill=framework.hygiene, by=world.org_admin.user)
    assert exc.value.messages == [services.STILL_UNDER_INACTIVE.format(name="Infection control")]
    with pytest.raises(ValidationError) as exc:
        add(world, "gloves", "Gloves", framework.infection)
    assert exc.value.message_dict == {"parent": [services.PARENT_INACTIVE]}
    with pytest.raises(ValidationError):
        services.skill_move(skill=framework.coaching, by=world.org_admin.user, parent=framework.infection)
    services.skill_reactivate(skill=framework.infection, by=world.org_admin.user)
    services.skill_reactivate(skill=framework.hygiene, by=world.org_admin.user)
    assert not Skill.objects.filter(is_active=False).exists()
    assert last_audit("skill.reactivated").target_id == str(framework.hygiene.pk)


def test_a_tagged_skill_cannot_be_deleted_only_deactivated(world, framework):
    course = CourseFactory(organization=world.org)
    course.skills.add(framework.hygiene)
    activity = ActivityFactory(section__course=course)
    activity.skills.add(framework.hygiene)
    with pytest.raises(ValidationError) as exc:
        services.skill_delete(skill=framework.hygiene, by=world.org_admin.user)
    assert exc.value.messages == [services.IN_USE.format(uses="1 course and 1 activity")]
    services.skill_deactivate(skill=framework.hygiene, by=world.org_admin.user)
    assert list(course.skills.all()) == [framework.hygiene]  # the tag stays


def test_a_skill_with_sub_skills_cannot_be_deleted(world, framework):
    with pytest.raises(ValidationError) as exc:
        services.skill_delete(skill=framework.leadership, by=world.org_admin.user)
    assert exc.value.messages == [services.HAS_CHILDREN.format(count=1)]


def test_an_unused_leaf_skill_is_deleted_with_an_audit_record_and_an_event(
    world, framework, received, django_capture_on_commit_callbacks
):
    pk = framework.coaching.pk
    with django_capture_on_commit_callbacks(execute=True):
        services.skill_delete(skill=framework.coaching, by=world.org_admin.user)
    assert not Skill.objects.filter(pk=pk).exists()
    assert last_audit("skill.deleted").before["code"] == "coaching"
    assert received == [events.SkillDeleted(world.org.pk, pk, world.org_admin.user.pk, "coaching")]


# --- scales ----------------------------------------------------------------------------------------------------


def test_the_default_scale_has_five_described_levels(world):
    scale = services.scale_create_default(organization=world.org, by=world.org_admin.user)
    levels = list(scale.levels.values_list("value", "name"))
    assert levels == [
        (1, "Awareness"),
        (2, "Working knowledge"),
        (3, "Practitioner"),
        (4, "Advanced"),
        (5, "Expert"),
    ]
    assert all(level.descriptor for level in scale.levels.all())
    assert last_audit("proficiency_scale.created").after["name"] == "1–5"


def test_scale_names_are_unique_whatever_the_dash_and_case(world, framework):
    with pytest.raises(ValidationError) as exc:
        services.scale_create(
            organization=world.org,
            by=world.org_admin.user,
            name=" 1-5 ",
            levels=[services.LevelInput("Low"), services.LevelInput("High")],
        )
    assert exc.value.message_dict == {"name": [services.SCALE_NAME_TAKEN]}


def test_a_scale_needs_two_to_ten_distinct_named_levels(world):
    def create(*names: str) -> None:
        services.scale_create(
            organization=world.org,
            by=world.org_admin.user,
            name="Scale",
            levels=[services.LevelInput(name) for name in names],
        )

    with pytest.raises(ValidationError) as exc:
        create("Only")
    assert exc.value.message_dict == {"levels": [services.LEVELS_TOO_FEW.format(minimum=2)]}
    with pytest.raises(ValidationError) as exc:
        create(*[f"L{i}" for i in range(11)])
    assert exc.value.message_dict == {"levels": [services.LEVELS_TOO_MANY.format(maximum=10)]}
    with pytest.raises(ValidationError) as exc:
        create("Low", "", "low")
    assert exc.value.message_dict == {
        "levels[1].name": [services.LEVEL_NAME_REQUIRED],
        "levels[2].name": [services.LEVEL_NAME_DUPLICATE],
    }
    assert not ProficiencyScale.objects.exists()


def test_changing_levels_keeps_the_rows_of_values_that_stay(world, framework):
    first = framework.scale.levels.get(value=1)
    services.scale_update(
        scale=framework.scale,
        by=world.org_admin.user,
        name="Three steps",
        levels=[services.LevelInput("Novice", "New"), services.LevelInput("Competent"), services.LevelInput("Pro")],
    )
    assert list(framework.scale.levels.values_list("value", "name")) == [(1, "Novice"), (2, "Competent"), (3, "Pro")]
    assert ProficiencyLevel.objects.get(scale=framework.scale, value=1).pk == first.pk
    record = last_audit("proficiency_scale.changed")
    assert record.before["name"] == "1–5" and record.after["levels"] == ["Novice", "Competent", "Pro"]


def test_a_scale_in_use_cannot_be_deleted(world, framework):
    with pytest.raises(ValidationError) as exc:
        services.scale_delete(scale=framework.scale, by=world.org_admin.user)
    assert exc.value.messages == [
        services.SCALE_IN_USE.format(name="1–5", count=3, examples="Coaching, Hand hygiene, Infection control")
    ]
    for skill in (framework.hygiene, framework.infection, framework.coaching):
        services.skill_update(skill=skill, by=world.org_admin.user, scale=None)
    services.scale_delete(scale=framework.scale, by=world.org_admin.user)
    assert not ProficiencyScale.objects.filter(pk=framework.scale.pk).exists()
    assert last_audit("proficiency_scale.deleted").before["levels"][0] == "Awareness"


def test_audit_actions_have_labels():
    assert actions.label("skill.created") == "Skill created"
    assert actions.label("skills.imported") == "Skills imported"
    assert actions.label("proficiency_scale.deleted") == "Proficiency scale deleted"
