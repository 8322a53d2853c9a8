"""What reviewers said, for the people who act on it: the "Sent back for changes" notice of a course (the last
decision, when it sent the course back and nothing was submitted or published since), the comments of a review with
the section or activity each is about named, and the earlier rounds of reviews a resubmission follows.

Comments are anchored by uid (ReviewComment.about_uid); the uid is looked up in the snapshot the comment was made
on, so the name is the one the reviewer saw, and linked to the draft's outline while that item still exists."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.urls import reverse
from django.utils.translation import gettext as _

from syllabus.catalog import versions
from syllabus.catalog.models import Activity, Course, ReviewComment, ReviewRequest, Section


@dataclass
class Comment:
    comment: ReviewComment
    about: str = ""  # "Activity: Welcome", "Section: Basics" or "" (the whole course)
    url: str = ""  # the item in the draft's outline, while it exists


@dataclass
class SentBack:
    review: ReviewRequest
    reason: ReviewComment | None
    comments: list[Comment] = field(default_factory=list)  # the others, oldest first


@dataclass
class Round:
    review: ReviewRequest
    comments: list[Comment] = field(default_factory=list)


def _comments_prefetch() -> Prefetch[Any]:
    return Prefetch("comments", queryset=ReviewComment.objects.select_related("author").order_by("created_at", "pk"))


def about_label(snapshot: Mapping[str, Any] | None, uid: Any) -> str:
    """The section or activity a comment is about, by its name in the snapshot the comment was made on."""
    if not uid or not snapshot:
        return ""
    uid = str(uid)
    activity = versions.find_activity(snapshot, uid)
    if activity is not None:
        return _("Activity: %(title)s") % {"title": activity["title"]}
    for section in snapshot.get("sections", []):
        if section["uid"] == uid:
            return _("Section: %(title)s") % {"title": section["title"]}
    return _("An item removed since")


def _reason(review: ReviewRequest, comments: Iterable[ReviewComment]) -> ReviewComment | None:
    """The send-back reason: the reviewer's last comment on the whole course made with the decision
    (services.review_reject stores the reason as a comment just before closing the review)."""
    reason = None
    for comment in comments:
        if review.decision_note and comment.body != review.decision_note:
            continue
        if (
            comment.author_id == review.decided_by_id
            and comment.about_uid is None
            and (review.decided_at is None or comment.created_at <= review.decided_at)
        ):
            reason = comment
    return reason


def _is_current(course: Course, review: ReviewRequest | None) -> bool:
    """A rejection still stands when it is the last review and no version was published (without review) since."""
    if review is None or review.state != ReviewRequest.State.REJECTED or course.in_review:
        return False
    version = course.published_version
    return not (version is not None and review.decided_at is not None and version.published_at > review.decided_at)


def _outline_urls(course: Course, uids: set[str]) -> dict[str, str]:
    """Where each anchored uid is in the draft's outline now (two small queries, whatever the comment count)."""
    if not uids:
        return {}
    outline = reverse("catalog:course-outline", args=[course.pk])
    found = {
        str(uid): f"{outline}#activity-{pk}"
        for uid, pk in Activity.objects.filter(course=course, uid__in=uids).values_list("uid", "pk")
    }
    found.update(
        {
            str(uid): f"{outline}#section-{pk}"
            for uid, pk in Section.objects.filter(course=course, uid__in=uids).values_list("uid", "pk")
        }
    )
    return found


def comments_of(
    review: ReviewRequest, comments: Iterable[ReviewComment], *, links: Mapping[str, str] | None = None
) -> list[Comment]:
    links = links or {}
    return [
        Comment(
            comment=comment,
            about=about_label(review.snapshot, comment.about_uid),
            url=links.get(str(comment.about_uid), "") if comment.about_uid else "",
        )
        for comment in comments
    ]


def _latest(course: Course) -> QuerySet[ReviewRequest]:
    return ReviewRequest.objects.filter(course=course).order_by("-created_at", "-pk")


def is_sent_back(course: Course) -> bool:
    """Whether the course's badge says "Sent back for changes" (one small query)."""
    if course.in_review:
        return False
    return _is_current(course, _latest(course).only("pk", "state", "decided_at").first())


def sent_back(course: Course) -> SentBack | None:
    """The notice of a course that was sent back: the reason first, then the reviewers' other comments."""
    if course.in_review:
        return None
    review = _latest(course).select_related("decided_by").prefetch_related(_comments_prefetch()).first()
    if review is None or not _is_current(course, review):
        return None
    comments = list(review.comments.all())
    reason = _reason(review, comments)
    others = [comment for comment in comments if comment is not reason]
    links = _outline_urls(course, {str(c.about_uid) for c in others if c.about_uid})
    return SentBack(review=review, reason=reason, comments=comments_of(review, others, links=links))


def sent_back_by_course(courses: Iterable[Course]) -> dict[int, SentBack]:
    """The standing rejections of a page of courses, in two queries (the reviews, their comments). Names of
    anchored items are left out: the list links to the course, whose header shows them."""
    by_pk = {course.pk: course for course in courses}
    if not by_pk:
        return {}
    latest = ReviewRequest.objects.filter(course=OuterRef("course")).order_by("-created_at", "-pk").values("pk")[:1]
    reviews: QuerySet[ReviewRequest] = (
        ReviewRequest.objects.filter(course_id__in=by_pk, state=ReviewRequest.State.REJECTED)
        .filter(pk=Subquery(latest))
        .defer("snapshot")
        .prefetch_related(_comments_prefetch())
    )
    out = {}
    for review in reviews:
        course = by_pk[review.course_id]
        if not _is_current(course, review):
            continue
        comments = list(review.comments.all())
        reason = _reason(review, comments)
        others = [Comment(comment=c) for c in comments if c is not reason]
        out[course.pk] = SentBack(review=review, reason=reason, comments=others)
    return out


def earlier_rounds(review: ReviewRequest) -> list[Round]:
    """The reviews of the same course before this one, since its base version was published (the rounds of
    this set of changes), newest first, each with its comments named."""
    earlier = (
        ReviewRequest.objects.filter(course_id=review.course_id, created_at__lt=review.created_at)
        .exclude(pk=review.pk)
        .select_related("submitted_by", "decided_by")
        .prefetch_related(_comments_prefetch())
        .order_by("-created_at", "-pk")
    )
    if review.base_version is not None:
        earlier = earlier.filter(created_at__gt=review.base_version.published_at)
    return [Round(review=item, comments=comments_of(item, item.comments.all())) for item in earlier]
