"""See enrollment/urls.py. The course team's pages: participants, one participant, groups, messages, options."""

from django.urls import URLPattern, URLResolver, path

from syllabus.enrollment.views_course import groups, messages_options, participants

COURSE = "courses/<int:pk>/"
PARTICIPANT = f"{COURSE}participants/<int:enrollment_id>/"
GROUP = f"{COURSE}groups/<int:group_id>/"

urlpatterns: list[URLPattern | URLResolver] = [
    path(f"{COURSE}participants/", participants.participants, name="participants"),
    path(f"{COURSE}participants/search/", participants.participants_search, name="participants-search"),
    path(f"{COURSE}participants/enroll/", participants.participants_enroll, name="participants-enroll"),
    path(f"{COURSE}participants/bulk/", participants.participants_bulk, name="participants-bulk"),
    path(f"{COURSE}participants/message/", messages_options.message, name="message"),
    path(PARTICIPANT, participants.participant, name="participant"),
    path(f"{PARTICIPANT}approve/", participants.request_approve, name="participant-approve"),
    path(f"{PARTICIPANT}decline/", participants.request_decline, name="participant-decline"),
    path(f"{PARTICIPANT}complete/", participants.participant_complete, name="participant-complete"),
    path(f"{PARTICIPANT}reset/", participants.participant_reset, name="participant-reset"),
    path(f"{PARTICIPANT}remove/", participants.participant_remove, name="participant-remove"),
    path(f"{COURSE}groups/", groups.groups, name="groups"),
    path(GROUP, groups.group, name="group"),
    path(f"{GROUP}members/", groups.group_members, name="group-members"),
    path(f"{GROUP}delete/", groups.group_delete, name="group-delete"),
    path(f"{COURSE}enrollment/", messages_options.options, name="options"),
]
