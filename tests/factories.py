"""factory_boy factories for every accounts/access model."""

from __future__ import annotations

from typing import Any

import factory
from django.conf import settings
from django.contrib.auth.hashers import make_password

from syllabus.access.models import Role, RoleAssignment
from syllabus.accounts.models import (
    AttributeDefinition,
    JobRole,
    Location,
    Membership,
    Organization,
    OrgUnit,
    User,
)

PASSWORD = "correct-horse-battery-staple"
# One hash for every factory user: hashing with argon2 per user would dominate the test run. Kept per hasher list:
# a test that switches to a fast hasher (MD5) must not leave its hash to later tests whose hashers cannot read it.
_PASSWORD_HASHES: dict[tuple[str, ...], str] = {}


def _password_hash() -> str:
    hashers = tuple(settings.PASSWORD_HASHERS)
    if hashers not in _PASSWORD_HASHES:
        _PASSWORD_HASHES[hashers] = make_password(PASSWORD)
    return _PASSWORD_HASHES[hashers]


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    display_name = factory.Faker("name")
    password = factory.LazyFunction(_password_hash)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")


class OrgUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgUnit

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Unit {n}")
    parent = None

    @classmethod
    def _create(cls, model_class: type[OrgUnit], *args: Any, **kwargs: Any) -> OrgUnit:
        unit = model_class(*args, **kwargs)
        unit.save()
        parent = unit.parent
        unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
        unit.depth = parent.depth + 1 if parent else 0
        unit.save(update_fields=["path", "depth"])
        return unit


class JobRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JobRole

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Job role {n}")


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Location {n}")


class AttributeDefinitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AttributeDefinition

    organization = factory.SubFactory(OrganizationFactory)
    key = factory.Sequence(lambda n: f"attr_{n}")
    label = factory.Sequence(lambda n: f"Attribute {n}")
    type = AttributeDefinition.Type.TEXT


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)


def grant(membership: Membership, role_key: str, org_unit: OrgUnit | None = None) -> RoleAssignment:
    """Give a membership a built-in role, org-wide or over an org-unit subtree."""
    role = Role.objects.get(organization__isnull=True, key=role_key)
    return RoleAssignment.objects.create(
        organization=membership.organization,
        membership=membership,
        role=role,
        scope="org_unit" if org_unit else "organization",
        org_unit=org_unit,
    )


# --- catalog ----------------------------------------------------------------------------------------------------


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "catalog.Course"

    organization = factory.SubFactory(OrganizationFactory)
    title = factory.Sequence(lambda n: f"Course {n}")
    summary = "A course for testing."


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "catalog.Section"

    course = factory.SubFactory(CourseFactory)
    title = factory.Sequence(lambda n: f"Section {n}")
    position = factory.Sequence(lambda n: n)


class ActivityFactory(factory.django.DjangoModelFactory):
    """A Page activity by default (config as the page kind stores it)."""

    class Meta:
        model = "catalog.Activity"

    section = factory.SubFactory(SectionFactory)
    course = factory.LazyAttribute(lambda o: o.section.course)
    kind = "page"
    title = factory.Sequence(lambda n: f"Activity {n}")
    position = factory.Sequence(lambda n: n)
    config = factory.LazyFunction(lambda: {"body": "<p>Hello, learner.</p>"})
    completion = factory.LazyFunction(lambda: {"rule": "viewed"})


def staff(course: Any, membership: Membership, role: str = "owner") -> Any:
    """Put a person on a course's team."""
    from syllabus.catalog.models import CourseStaff

    return CourseStaff.objects.update_or_create(course=course, membership=membership, defaults={"role": role})[0]


def publish(course: Any, by: Any, notes: str = "") -> Any:
    """Publish the course's draft as it is, through the service (whatever the review policy says)."""
    from syllabus.catalog import services

    return services.course_publish_unchecked(course=course, by=by, notes=notes)
