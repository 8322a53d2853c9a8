"""REST API of the catalog (under /api/v1/): what every catalog endpoint shares.

The endpoints live beside this module, cut by what they serve:
- `api_courses.py`: the authoring list, one course's draft metadata, cover and uploads, the publishing actions;
- `api_versions.py`: the diff since the live version, the versions, restore;
- `api_team.py`: the course team;
- `api_structure.py`: sections, activities and the outline of a draft;
- `api_reviews.py`: the review queue and one review's decision;
- `api_catalog.py`: the learners' catalog and course pages, categories, tags, catalog settings, activity kinds.

Every endpoint is thin (HackSoft style): parse with its own nested serializer, authorize, call one service or
selector, serialize. Courses are fetched the way the HTML pages fetch them: a course one may not open (another
organisation's, or one the person is not on and cannot see) is not found (404); a course one may open but not
change answers 403. The services check every permission again.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.urls import NoReverseMatch, reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response

from syllabus.access.endpoints import OrganizationEndpoint
from syllabus.catalog import selectors
from syllabus.catalog.models import (
    Activity,
    Course,
    CourseAsset,
    CourseStaff,
    CourseVersion,
    ReviewRequest,
    Section,
)

# OpenAPI tags: the three areas of the catalog API.
TAG_COURSES = "courses"
TAG_REVIEWS = "reviews"
TAG_CATALOG = "catalog"


def asset_url(asset_id: int | None, course_id: int, name: str = "file") -> str | None:
    """The permission-checked URL that serves an asset (never the storage URL); None without an asset."""
    if not asset_id:
        return None
    try:
        return reverse("catalog:asset", kwargs={"pk": course_id, "asset_id": asset_id, "name": name or "file"})
    except NoReverseMatch:  # the serving view is not installed: say nothing rather than a broken link
        return None


def course_state(course: Course) -> str:
    """One of selectors.STATES, in the order a person reads them: archived, in review, published, draft."""
    if course.is_archived:
        return selectors.STATE_ARCHIVED
    if course.in_review:
        return selectors.STATE_IN_REVIEW
    if course.published_version_id is not None:
        return selectors.STATE_PUBLISHED
    return selectors.STATE_DRAFT


# Fetch-and-authorize helpers shared by the catalog endpoints (a comment: a docstring would become the schema's
# description of every endpoint that has none).
class CatalogApi(OrganizationEndpoint):
    def course_for_staff(self, pk: int) -> Course:
        """A course whose draft the caller may open (team, reviewers, course.view_all); 404 otherwise."""
        course = selectors.course_get_for_staff(principal=self.principal(), organization=self.organization, pk=pk)
        if course is None:
            raise Http404
        return course

    def course_to_change(self, pk: int, capability: str = "course.edit") -> Course:
        """A course the caller may open and holds `capability` on: 404 if they cannot open it, 403 if they can."""
        course = self.course_for_staff(pk)
        self.principal().require(capability, course)
        return course

    def section_of(self, course: Course, uid: Any) -> Section:
        section = Section.objects.filter(course=course, uid=uid).first()
        if section is None:
            raise Http404
        section.course = course
        return section

    def activity_of(self, course: Course, uid: Any) -> Activity:
        activity = (
            Activity.objects.filter(course=course, uid=uid).select_related("section").prefetch_related("skills").first()
        )
        if activity is None:
            raise Http404
        activity.course = course
        activity.section.course = course
        return activity


# --- output serializers shared by several endpoints ------------------------------------------------------------


class CatalogRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CatalogPersonSerializer(serializers.Serializer[Any]):
    """A person named in the catalog (author, reviewer): their name only, no contact data."""

    id = serializers.IntegerField(help_text="The user id.")
    display_name = serializers.CharField()


class CourseAssetSerializer(serializers.Serializer[CourseAsset]):
    id = serializers.IntegerField()
    purpose = serializers.ChoiceField(choices=CourseAsset.Purpose.choices)
    original_name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField(help_text="Bytes.")
    url = serializers.SerializerMethodField(help_text="Where the file is served (checks permission).")

    def get_url(self, asset: CourseAsset) -> str | None:
        return asset_url(asset.pk, asset.course_id, asset.original_name)


class CourseVersionSerializer(serializers.Serializer[CourseVersion]):
    id = serializers.IntegerField()
    label = serializers.CharField(help_text='"major.minor", e.g. "2.1".')  # type: ignore[assignment]
    major = serializers.IntegerField()
    minor = serializers.IntegerField()
    change = serializers.ChoiceField(choices=CourseVersion.Change.choices)
    notes = serializers.CharField(help_text="What changed, as the publisher wrote it.")
    published_at = serializers.DateTimeField()
    published_by = CatalogPersonSerializer(allow_null=True)
    is_current = serializers.SerializerMethodField(help_text="This is the version learners get now.")

    def get_is_current(self, version: CourseVersion) -> bool:
        current = self.context.get("current_version_id")
        if current is None:
            current = version.course.published_version_id
        return bool(version.pk == current)


class CourseVersionRefSerializer(serializers.Serializer[CourseVersion]):
    id = serializers.IntegerField()
    label = serializers.CharField()  # type: ignore[assignment]
    published_at = serializers.DateTimeField()


class CoursePermissionsSerializer(serializers.Serializer[Any]):
    """What the caller may do with this course (so a client shows only the buttons that work)."""

    edit = serializers.BooleanField(help_text="Change the draft and submit it for review.")
    manage = serializers.BooleanField(help_text="Change the team; archive, copy, delete.")
    publish = serializers.BooleanField(help_text="Publish without review.")
    review = serializers.BooleanField(help_text="Approve or send back submissions.")


class CourseSummarySerializer(serializers.Serializer[Course]):
    """A course in the authoring list."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    summary = serializers.CharField()
    state = serializers.SerializerMethodField(help_text="draft (never published), in_review, published or archived.")
    has_unpublished_changes = serializers.BooleanField(
        help_text="The draft differs from the published version (always true before the first publish)."
    )
    published_version = serializers.CharField(
        source="published_version.label", allow_null=True, default=None, help_text="Label of the live version."
    )
    category = CatalogRefSerializer(allow_null=True)
    language = serializers.CharField()
    level = serializers.CharField()
    duration_minutes = serializers.IntegerField()
    visibility = serializers.CharField()
    my_role = serializers.CharField(
        allow_null=True, default=None, help_text="The caller's role on the course team (owner, editor, instructor)."
    )
    activity_count = serializers.IntegerField(default=0)
    updated_at = serializers.DateTimeField()

    def get_state(self, course: Course) -> str:
        return course_state(course)


class CourseAssetRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    url = serializers.CharField(allow_null=True)


class CourseSerializer(serializers.Serializer[Course]):
    """One course's draft, as its team and reviewers see it."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    summary = serializers.CharField()
    description = serializers.CharField(help_text="Sanitised HTML.")
    cover = serializers.SerializerMethodField()
    category = CatalogRefSerializer(allow_null=True)
    tags = serializers.SerializerMethodField()
    skills = serializers.SerializerMethodField()
    language = serializers.CharField()
    level = serializers.CharField()
    duration_minutes = serializers.IntegerField()
    visibility = serializers.CharField()
    audience = CatalogRefSerializer(allow_null=True)
    state = serializers.SerializerMethodField(help_text="draft (never published), in_review, published or archived.")
    review_state = serializers.ChoiceField(choices=Course.ReviewState.choices)
    pending_review = serializers.SerializerMethodField(help_text="Id of the submission waiting for review, if any.")
    published_version = CourseVersionRefSerializer(allow_null=True)
    has_unpublished_changes = serializers.SerializerMethodField()
    draft_revision = serializers.IntegerField(help_text="Goes up with every change of the draft.")
    archived_at = serializers.DateTimeField(allow_null=True)
    copied_from = serializers.IntegerField(source="copied_from_id", allow_null=True)
    permissions = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(CourseAssetRefSerializer(allow_null=True))
    def get_cover(self, course: Course) -> dict[str, Any] | None:
        if course.cover_id is None or course.cover is None:
            return None
        return {"id": course.cover_id, "url": asset_url(course.cover_id, course.pk, course.cover.original_name)}

    def get_tags(self, course: Course) -> list[str]:
        return [tag.name for tag in course.tags.all()]

    @extend_schema_field(CatalogRefSerializer(many=True))
    def get_skills(self, course: Course) -> list[dict[str, Any]]:
        return [{"id": skill.pk, "name": skill.name} for skill in course.skills.all()]

    def get_state(self, course: Course) -> str:
        return course_state(course)

    def get_pending_review(self, course: Course) -> int | None:
        if not course.in_review:
            return None
        review = selectors.pending_review(course=course)
        return review.pk if review is not None else None

    def get_has_unpublished_changes(self, course: Course) -> bool:
        version = course.published_version
        return version is None or version.source_revision != course.draft_revision

    @extend_schema_field(CoursePermissionsSerializer)
    def get_permissions(self, course: Course) -> dict[str, bool]:
        principal = self.context["principal"]
        return {
            "edit": principal.can("course.edit", course),
            "manage": principal.can("course.manage", course),
            "publish": principal.can("course.publish", course),
            "review": principal.can("course.review", course),
        }


class VersionChangeFieldSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    before = serializers.CharField(help_text="Plain text.")
    after = serializers.CharField(help_text="Plain text.")


class VersionChangeSerializer(serializers.Serializer[Any]):
    """One change between two snapshots (catalog.versions.diff)."""

    target = serializers.ChoiceField(choices=["course", "section", "activity"])
    action = serializers.ChoiceField(choices=["changed", "added", "removed", "moved"])
    uid = serializers.CharField(help_text="The section's or activity's uid; empty for the course.")
    title = serializers.CharField()
    kind = serializers.CharField(help_text="The activity kind, for activities.")
    structural = serializers.BooleanField(help_text="Part of what makes the change major.")
    fields = VersionChangeFieldSerializer(many=True)  # type: ignore[assignment]


class CourseStaffSerializer(serializers.Serializer[CourseStaff]):
    membership = serializers.IntegerField(source="membership_id", help_text="The membership id.")
    display_name = serializers.CharField(source="membership.user.display_name")
    role = serializers.ChoiceField(choices=CourseStaff.Role.choices)
    added_at = serializers.DateTimeField(source="created_at")


class ReviewCourseSerializer(serializers.Serializer[Course]):
    id = serializers.IntegerField()
    title = serializers.CharField()


class ReviewSerializer(serializers.Serializer[ReviewRequest]):
    """A submission for review (the queue's rows, and the answer to submit/decide)."""

    id = serializers.IntegerField()
    course = ReviewCourseSerializer()
    state = serializers.ChoiceField(choices=ReviewRequest.State.choices)
    change = serializers.ChoiceField(
        choices=CourseVersion.Change.choices, help_text="What approving it publishes: a major or a minor version."
    )
    notes = serializers.CharField(help_text="The submitter's notes for the reviewer.")
    base_version = serializers.CharField(
        source="base_version.label", allow_null=True, default=None, help_text="The live version it changes, if any."
    )
    submitted_by = CatalogPersonSerializer(allow_null=True)
    submitted_at = serializers.DateTimeField(source="created_at")
    decided_by = CatalogPersonSerializer(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    comment_count = serializers.IntegerField(default=None, allow_null=True, help_text="In the queue only.")


class CourseApi(CatalogApi):
    def course_response(self, pk: int, *, status_code: int = status.HTTP_200_OK) -> Response:
        """The course as it is now, read afresh after a write."""
        course = self.course_for_staff(pk)
        data = CourseSerializer(course, context={"principal": self.principal()}).data
        return Response(data, status=status_code)
