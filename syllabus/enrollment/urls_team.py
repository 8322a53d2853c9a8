"""See enrollment/urls.py. The manager's pages: the team, one person's training, assigning, approvals."""

from django.urls import URLPattern, URLResolver, path

from syllabus.enrollment import views_team

urlpatterns: list[URLPattern | URLResolver] = [
    path("team/", views_team.team, name="team"),
    path("team/people/<int:membership_id>/", views_team.team_person, name="team-person"),
    path(
        "team/people/<int:membership_id>/enrollments/<int:enrollment_id>/due/",
        views_team.team_person_due,
        name="team-person-due",
    ),
    path(
        "team/people/<int:membership_id>/enrollments/<int:enrollment_id>/withdraw/",
        views_team.team_person_withdraw,
        name="team-person-withdraw",
    ),
    path("team/assign/", views_team.team_assign, name="team-assign"),
    path("team/assign/courses/", views_team.team_assign_courses, name="team-assign-courses"),
    path("team/assign/people/", views_team.team_assign_people, name="team-assign-people"),
    path("approvals/", views_team.approvals, name="approvals"),
    path("approvals/<int:enrollment_id>/approve/", views_team.approval_approve, name="approval-approve"),
    path("approvals/<int:enrollment_id>/decline/", views_team.approval_decline, name="approval-decline"),
]
