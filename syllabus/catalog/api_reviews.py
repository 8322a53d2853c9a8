"""REST API of the review workflow (under /api/v1/reviews/): the queue, one submission with what changed and its
comments, and the decision (approve = publish, send back with a reason, or withdraw by the course team).

Reviewers (`course.review`) decide; the course's own team may read a review, comment on it and withdraw it. Anyone
else gets 404. The services refuse what the rules forbid (approving one's own submission, deciding twice) and their
message comes back in the error.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from syllabus.catalog import selectors, services, versions
from syllabus.catalog.api import (
    TAG_REVIEWS,
    CatalogApi,
    CatalogPersonSerializer,
    CourseVersionSerializer,
    ReviewSerializer,
    VersionChangeSerializer,
)
from syllabus.catalog.models import ReviewComment, ReviewRequest
from syllabus.core.api import paginated_response, with_errors

REVIEW_CAPABILITY = "course.review"


class ReviewCommentSerializer(serializers.Serializer[ReviewComment]):
    id = serializers.IntegerField()
    author = CatalogPersonSerializer(allow_null=True)
    body = serializers.CharField()
    about_uid = serializers.UUIDField(allow_null=True, help_text="The section or activity it is about, if any.")
    created_at = serializers.DateTimeField()


class ReviewApi(CatalogApi):
    def get_review(self, pk: int) -> ReviewRequest:
        review = selectors.review_get(principal=self.principal(), organization=self.organization, pk=pk)
        if review is None:
            raise Http404
        return review

    def review_response(self, pk: int, *, status_code: int = status.HTTP_200_OK) -> Response:
        return Response(ReviewSerializer(self.get_review(pk)).data, status=status_code)


class ReviewListApi(ReviewApi):
    @extend_schema(
        operation_id="reviews_list",
        tags=[TAG_REVIEWS],
        summary="The review queue",
        description="Submissions waiting for review, oldest first. Needs `course.review`.",
        responses=with_errors({200: ReviewSerializer(many=True)}, 401, 403),
    )
    def get(self, request: Request) -> Response:
        self.require(REVIEW_CAPABILITY)
        return paginated_response(
            request=request,
            view=self,
            # The queue shows labels and titles: never load the snapshots (large).
            queryset=selectors.review_queue(organization=self.organization).defer(
                "snapshot", "base_version__snapshot", "course__description"
            ),
            serializer_class=ReviewSerializer,
        )


class ReviewDetailSerializer(ReviewSerializer):
    snapshot = serializers.JSONField(help_text="Exactly what approving publishes (schema 1).")
    changes = serializers.SerializerMethodField(help_text="What changed since the live version.")
    comments = serializers.SerializerMethodField()
    can_decide = serializers.SerializerMethodField(help_text="You may approve or send it back now.")
    can_withdraw = serializers.SerializerMethodField(help_text="You may withdraw it now (the course team).")

    @extend_schema_field(VersionChangeSerializer(many=True))
    def get_changes(self, review: ReviewRequest) -> list[dict[str, Any]]:
        base = review.base_version.snapshot if review.base_version is not None else None
        return [change.as_dict() for change in versions.diff(base, review.snapshot)]

    @extend_schema_field(ReviewCommentSerializer(many=True))
    def get_comments(self, review: ReviewRequest) -> Any:
        comments = review.comments.select_related("author").order_by("created_at", "pk")
        return ReviewCommentSerializer(comments, many=True).data  # type: ignore[arg-type]

    def get_can_decide(self, review: ReviewRequest) -> bool:
        pending = review.state == ReviewRequest.State.PENDING
        return pending and self.context["principal"].can(REVIEW_CAPABILITY, review.course)

    def get_can_withdraw(self, review: ReviewRequest) -> bool:
        pending = review.state == ReviewRequest.State.PENDING
        return pending and self.context["principal"].can("course.edit", review.course)


class ReviewDetailApi(ReviewApi):
    @extend_schema(
        operation_id="reviews_retrieve",
        tags=[TAG_REVIEWS],
        summary="One submission, with what changed and its comments",
        description="For reviewers and the course's team.",
        responses=with_errors({200: ReviewDetailSerializer}, 401, 403, 404),
    )
    def get(self, request: Request, pk: int) -> Response:
        review = self.get_review(pk)
        return Response(ReviewDetailSerializer(review, context={"principal": self.principal()}).data)


class ReviewCommentListApi(ReviewApi):
    class InputSerializer(serializers.Serializer[Any]):
        body = serializers.CharField(max_length=10_000, allow_blank=True)
        about_uid = serializers.UUIDField(
            required=False, allow_null=True, help_text="The uid of the section or activity the comment is about."
        )

    @extend_schema(
        operation_id="reviews_comments_create",
        tags=[TAG_REVIEWS],
        summary="Comment on a submission",
        description="For reviewers and the course's team.",
        request=InputSerializer,
        responses=with_errors({201: ReviewCommentSerializer}),
    )
    def post(self, request: Request, pk: int) -> Response:
        review = self.get_review(pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = services.review_comment_add(review=review, by=self.user, **serializer.validated_data)
        return Response(ReviewCommentSerializer(comment).data, status=status.HTTP_201_CREATED)


class ReviewApproveApi(ReviewApi):
    class InputSerializer(serializers.Serializer[Any]):
        notes = serializers.CharField(
            required=False, allow_blank=True, default="", help_text="What changed (default: the submitter's notes)."
        )

    class OutputSerializer(serializers.Serializer[Any]):
        review = ReviewSerializer()
        version = CourseVersionSerializer(help_text="The version now live.")

    @extend_schema(
        operation_id="reviews_approve",
        tags=[TAG_REVIEWS],
        summary="Approve a submission (publishes it)",
        description="Needs `course.review`. Publishes exactly what was submitted as a new version. Nobody approves "
        "their own submission.",
        request=InputSerializer,
        responses=with_errors({200: OutputSerializer}),
    )
    def post(self, request: Request, pk: int) -> Response:
        review = self.get_review(pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = services.review_approve(review=review, by=self.user, notes=serializer.validated_data["notes"])
        data = {"review": self.get_review(pk), "version": version}
        return Response(self.OutputSerializer(data, context={"current_version_id": version.pk}).data)


class ReviewRejectApi(ReviewApi):
    class InputSerializer(serializers.Serializer[Any]):
        reason = serializers.CharField(
            max_length=10_000, allow_blank=True, help_text="What needs to change (kept as a comment)."
        )

    @extend_schema(
        operation_id="reviews_reject",
        tags=[TAG_REVIEWS],
        summary="Send a submission back",
        description="Needs `course.review`. The draft is editable again; the reason is added to the comments.",
        request=InputSerializer,
        responses=with_errors({200: ReviewSerializer}),
    )
    def post(self, request: Request, pk: int) -> Response:
        review = self.get_review(pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.review_reject(review=review, by=self.user, reason=serializer.validated_data["reason"])
        return self.review_response(pk)


class ReviewWithdrawApi(ReviewApi):
    @extend_schema(
        operation_id="reviews_withdraw",
        tags=[TAG_REVIEWS],
        summary="Withdraw a submission",
        description="Needs `course.edit` on the course (its owners and editors): the draft is editable again.",
        request=None,
        responses=with_errors({200: ReviewSerializer}),
    )
    def post(self, request: Request, pk: int) -> Response:
        review = self.get_review(pk)
        services.review_withdraw(review=review, by=self.user)
        return self.review_response(pk)
