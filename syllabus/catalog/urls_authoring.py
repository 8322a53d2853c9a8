"""URL patterns of the authoring area and the review queue; see catalog/urls.py."""

from django.urls import URLPattern, URLResolver, path

from syllabus.catalog import views_review
from syllabus.catalog.views_authoring import courses, outline, publishing, settings, team

COURSE = "authoring/courses/<int:pk>/"
SECTION = f"{COURSE}outline/sections/<int:section_pk>/"
ACTIVITY = f"{COURSE}outline/activities/<int:activity_pk>/"

urlpatterns: list[URLPattern | URLResolver] = [
    # The courses I work on, their details and lifecycle.
    path("authoring/courses/", courses.course_list, name="authoring"),
    path("authoring/courses/new/", courses.course_new, name="course-new"),
    path(COURSE, courses.course_edit, name="course-edit"),
    path(f"{COURSE}copy/", courses.course_copy, name="course-copy"),
    path(f"{COURSE}archive/", courses.course_archive, name="course-archive"),
    path(f"{COURSE}unarchive/", courses.course_unarchive, name="course-unarchive"),
    path(f"{COURSE}delete/", courses.course_delete, name="course-delete"),
    # The outline editor.
    path(f"{COURSE}outline/", outline.outline, name="course-outline"),
    path(f"{COURSE}outline/reorder/", outline.outline_reorder, name="course-reorder"),
    path(f"{COURSE}outline/sections/new/", outline.section_create, name="section-create"),
    path(SECTION, outline.section_edit, name="section-edit"),
    path(f"{SECTION}move/", outline.section_move, name="section-move"),
    path(f"{SECTION}delete/", outline.section_delete, name="section-delete"),
    path(f"{SECTION}activities/new/", outline.activity_new, name="activity-new"),
    path(ACTIVITY, outline.activity_edit, name="activity-edit"),
    path(f"{ACTIVITY}move/", outline.activity_move, name="activity-move"),
    path(f"{ACTIVITY}delete/", outline.activity_delete, name="activity-delete"),
    # Submit, publish, history.
    path(f"{COURSE}submit/", publishing.course_submit, name="course-submit"),
    path(f"{COURSE}withdraw/", publishing.course_withdraw, name="course-withdraw"),
    path(f"{COURSE}history/", publishing.course_history, name="course-history"),
    path(f"{COURSE}history/<int:version_pk>/", publishing.version_detail, name="course-version"),
    path(f"{COURSE}history/<int:version_pk>/restore/", publishing.version_restore, name="course-version-restore"),
    # The course team.
    path(f"{COURSE}team/", team.team, name="course-team"),
    path(f"{COURSE}team/search/", team.team_search, name="course-team-search"),
    path(f"{COURSE}team/set/", team.team_set, name="course-team-set"),
    path(f"{COURSE}team/remove/", team.team_remove, name="course-team-remove"),
    # Catalog administration.
    path("authoring/settings/", settings.catalog_settings, name="settings"),
    path("authoring/settings/categories/new/", settings.category_create, name="category-create"),
    path("authoring/settings/categories/<int:category_pk>/", settings.category_update, name="category-update"),
    path("authoring/settings/categories/<int:category_pk>/delete/", settings.category_delete, name="category-delete"),
    # Reviews.
    path("reviews/", views_review.review_queue, name="reviews"),
    path("reviews/<int:pk>/", views_review.review_detail, name="review"),
    path("reviews/<int:pk>/comment/", views_review.review_comment, name="review-comment"),
    path("reviews/<int:pk>/approve/", views_review.review_approve, name="review-approve"),
    path("reviews/<int:pk>/reject/", views_review.review_reject, name="review-reject"),
]
