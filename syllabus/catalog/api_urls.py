"""The catalog's REST endpoints under /api/v1/ (see catalog/api.py for how they are cut)."""

from django.urls import URLPattern, URLResolver, path

from syllabus.catalog import api_catalog, api_courses, api_reviews, api_structure, api_team, api_versions

COURSE = "courses/<int:pk>/"
SECTION = f"{COURSE}sections/<uuid:uid>/"
ACTIVITY = f"{COURSE}activities/<uuid:uid>/"
VERSION = f"{COURSE}versions/<str:ref>/"

urlpatterns: list[URLPattern | URLResolver] = [
    # authoring
    path("courses/", api_courses.CourseListApi.as_view(), name="courses"),
    path(COURSE, api_courses.CourseDetailApi.as_view(), name="course-detail"),
    path(f"{COURSE}cover/", api_courses.CourseCoverApi.as_view(), name="course-cover"),
    path(f"{COURSE}assets/", api_courses.CourseAssetListApi.as_view(), name="course-assets"),
    path(f"{COURSE}submit/", api_courses.CourseSubmitApi.as_view(), name="course-submit"),
    path(f"{COURSE}publish/", api_courses.CoursePublishApi.as_view(), name="course-publish"),
    path(f"{COURSE}archive/", api_courses.CourseArchiveApi.as_view(), name="course-archive"),
    path(f"{COURSE}unarchive/", api_courses.CourseUnarchiveApi.as_view(), name="course-unarchive"),
    path(f"{COURSE}copy/", api_courses.CourseCopyApi.as_view(), name="course-copy"),
    path(f"{COURSE}diff/", api_versions.CourseDiffApi.as_view(), name="course-diff"),
    path(f"{COURSE}versions/", api_versions.VersionListApi.as_view(), name="course-versions"),
    path(VERSION, api_versions.VersionDetailApi.as_view(), name="course-version-detail"),
    path(f"{VERSION}restore/", api_versions.VersionRestoreApi.as_view(), name="course-version-restore"),
    path(f"{COURSE}staff/", api_team.StaffListApi.as_view(), name="course-staff"),
    path(f"{COURSE}staff/<int:membership_id>/", api_team.StaffDetailApi.as_view(), name="course-staff-detail"),
    # structure
    path(f"{COURSE}outline/", api_structure.OutlineApi.as_view(), name="course-outline"),
    path(f"{COURSE}sections/", api_structure.SectionListApi.as_view(), name="course-sections"),
    path(SECTION, api_structure.SectionDetailApi.as_view(), name="course-section-detail"),
    path(f"{SECTION}move/", api_structure.SectionMoveApi.as_view(), name="course-section-move"),
    path(f"{COURSE}activities/", api_structure.ActivityListApi.as_view(), name="course-activities"),
    path(ACTIVITY, api_structure.ActivityDetailApi.as_view(), name="course-activity-detail"),
    path(f"{ACTIVITY}move/", api_structure.ActivityMoveApi.as_view(), name="course-activity-move"),
    # review
    path("reviews/", api_reviews.ReviewListApi.as_view(), name="reviews"),
    path("reviews/<int:pk>/", api_reviews.ReviewDetailApi.as_view(), name="review-detail"),
    path("reviews/<int:pk>/comments/", api_reviews.ReviewCommentListApi.as_view(), name="review-comments"),
    path("reviews/<int:pk>/approve/", api_reviews.ReviewApproveApi.as_view(), name="review-approve"),
    path("reviews/<int:pk>/reject/", api_reviews.ReviewRejectApi.as_view(), name="review-reject"),
    path("reviews/<int:pk>/withdraw/", api_reviews.ReviewWithdrawApi.as_view(), name="review-withdraw"),
    # the learners' catalog and its reference data
    path("catalog/", api_catalog.CatalogListApi.as_view(), name="catalog"),
    path("catalog/<int:pk>/", api_catalog.CatalogDetailApi.as_view(), name="catalog-detail"),
    path("categories/", api_catalog.CategoryListApi.as_view(), name="categories"),
    path("categories/<int:pk>/", api_catalog.CategoryDetailApi.as_view(), name="category-detail"),
    path("tags/", api_catalog.TagListApi.as_view(), name="tags"),
    path("catalog-settings/", api_catalog.CatalogSettingsApi.as_view(), name="catalog-settings"),
    path("activity-kinds/", api_catalog.ActivityKindListApi.as_view(), name="activity-kinds"),
]
