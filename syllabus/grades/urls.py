"""The gradebook's pages: a course's gradebook under courses/<id>/gradebook/, the learner's own grades under
courses/<id>/grades/, and the organisation's letter scales under gradebook/scales/."""

from __future__ import annotations

from django.urls import path

from syllabus.grades import views, views_import, views_setup

app_name = "grades"

COURSE = "courses/<int:course_id>/gradebook/"

urlpatterns = [
    path(COURSE, views.gradebook, name="gradebook"),
    path(f"{COURSE}export/", views.export, name="export"),
    path(f"{COURSE}import/", views_import.grades_import, name="import"),
    # selectors._cells_html builds these addresses from the gradebook's own (no reverse() per cell).
    path(f"{COURSE}items/<int:item_id>/people/<int:user_id>/", views.grade, name="grade"),
    path(f"{COURSE}setup/", views_setup.setup, name="setup"),
    path(f"{COURSE}setup/categories/", views_setup.category_add, name="category-add"),
    path(f"{COURSE}setup/categories/<int:category_id>/", views_setup.category_edit, name="category-edit"),
    path(f"{COURSE}setup/categories/<int:category_id>/delete/", views_setup.category_delete, name="category-delete"),
    path(f"{COURSE}setup/items/", views_setup.item_add, name="item-add"),
    path(f"{COURSE}setup/items/<int:item_id>/", views_setup.item_edit, name="item-edit"),
    path(f"{COURSE}setup/items/<int:item_id>/delete/", views_setup.item_delete, name="item-delete"),
    path(f"{COURSE}setup/items/<int:item_id>/move/", views_setup.item_move, name="item-move"),
    path("courses/<int:course_id>/grades/", views.mine, name="mine"),
    path("gradebook/scales/", views_setup.scales, name="scales"),
    path("gradebook/scales/<int:pk>/", views_setup.scale_edit, name="scale-edit"),
    path("gradebook/scales/<int:pk>/delete/", views_setup.scale_delete, name="scale-delete"),
]
