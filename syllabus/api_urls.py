"""The REST API: /api/v1/ endpoints, the OpenAPI schema and its documentation pages (served from local files)."""

from __future__ import annotations

from csp.decorators import csp_update
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from syllabus.access import api as access_api
from syllabus.accounts import api as accounts_api
from syllabus.accounts import api_hr_import
from syllabus.audiences import api as audiences_api
from syllabus.audit import api as audit_api
from syllabus.enrollment import api as enrollment_api
from syllabus.enrollment import api_groups as enrollment_groups_api
from syllabus.enrollment import api_rules as enrollment_rules_api
from syllabus.notifications import api as notifications_api
from syllabus.progress import api as progress_api

v1: list[URLPattern | URLResolver] = [
    path("me/", accounts_api.MeApi.as_view(), name="me"),
    path("compliance/", include("syllabus.compliance.api_urls")),
    path("certificates/", include("syllabus.certificates.api_urls")),
    path("assessment/", include("syllabus.assessment.api_urls")),
    path("grades/", include("syllabus.grades.api_urls")),
    path("organizations/", accounts_api.OrganizationListApi.as_view(), name="organizations"),
    path("organizations/<int:pk>/", accounts_api.OrganizationDetailApi.as_view(), name="organization-detail"),
    path("organization/", accounts_api.CurrentOrganizationApi.as_view(), name="current-organization"),
    path("org-units/", accounts_api.OrgUnitListApi.as_view(), name="org-units"),
    path("org-units/<int:pk>/", accounts_api.OrgUnitDetailApi.as_view(), name="org-unit-detail"),
    path("job-roles/", accounts_api.JobRoleListApi.as_view(), name="job-roles"),
    path("job-roles/<int:pk>/", accounts_api.JobRoleDetailApi.as_view(), name="job-role-detail"),
    path("locations/", accounts_api.LocationListApi.as_view(), name="locations"),
    path("locations/<int:pk>/", accounts_api.LocationDetailApi.as_view(), name="location-detail"),
    path("attribute-definitions/", accounts_api.AttributeDefinitionListApi.as_view(), name="attribute-definitions"),
    path(
        "attribute-definitions/<int:pk>/",
        accounts_api.AttributeDefinitionDetailApi.as_view(),
        name="attribute-definition-detail",
    ),
    path("people/", accounts_api.PersonListApi.as_view(), name="people"),
    path("people/<int:pk>/", accounts_api.PersonDetailApi.as_view(), name="person-detail"),
    path("people/<int:pk>/deactivate/", accounts_api.PersonDeactivateApi.as_view(), name="person-deactivate"),
    path("people/<int:pk>/reactivate/", accounts_api.PersonReactivateApi.as_view(), name="person-reactivate"),
    path("people/<int:pk>/unlock/", accounts_api.PersonUnlockApi.as_view(), name="person-unlock"),
    path("people-imports/", api_hr_import.PeopleImportListApi.as_view(), name="people-imports"),
    path("people-imports/<int:pk>/", api_hr_import.PeopleImportDetailApi.as_view(), name="people-import-detail"),
    path("people-imports/<int:pk>/errors/", api_hr_import.PeopleImportErrorsApi.as_view(), name="people-import-errors"),
    path("people-imports/<int:pk>/apply/", api_hr_import.PeopleImportApplyApi.as_view(), name="people-import-apply"),
    path("tokens/", accounts_api.TokenListApi.as_view(), name="tokens"),
    path("tokens/<int:pk>/", accounts_api.TokenDetailApi.as_view(), name="token-detail"),
    path("tokens/<int:pk>/revoke/", accounts_api.TokenRevokeApi.as_view(), name="token-revoke"),
    path("capabilities/", access_api.CapabilityListApi.as_view(), name="capabilities"),
    path("roles/", access_api.RoleListApi.as_view(), name="roles"),
    path("roles/<int:pk>/", access_api.RoleDetailApi.as_view(), name="role-detail"),
    path("role-assignments/", access_api.RoleAssignmentListApi.as_view(), name="role-assignments"),
    path("role-assignments/<int:pk>/", access_api.RoleAssignmentDetailApi.as_view(), name="role-assignment-detail"),
    path("audiences/", audiences_api.AudienceListApi.as_view(), name="audiences"),
    path("audiences/preview/", audiences_api.AudiencePreviewApi.as_view(), name="audience-preview"),
    path("audiences/<int:pk>/", audiences_api.AudienceDetailApi.as_view(), name="audience-detail"),
    path("audiences/<int:pk>/members/", audiences_api.AudienceMembersApi.as_view(), name="audience-members"),
    path("audiences/<int:pk>/recompute/", audiences_api.AudienceRecomputeApi.as_view(), name="audience-recompute"),
    path("audit/records/", audit_api.RecordListApi.as_view(), name="audit-records"),
    path("audit/records.csv", audit_api.RecordCsvApi.as_view(), name="audit-records-csv"),
    path("audit/anchors/", audit_api.AnchorListApi.as_view(), name="audit-anchors"),
    path("audit/verify/", audit_api.VerifyApi.as_view(), name="audit-verify"),
    # enrollment and progress
    path("enrollments/", enrollment_api.EnrollmentListApi.as_view(), name="enrollments"),
    path("enrollments/bulk/", enrollment_api.EnrollmentBulkApi.as_view(), name="enrollments-bulk"),
    path("enrollments/<int:pk>/", enrollment_api.EnrollmentDetailApi.as_view(), name="enrollment-detail"),
    path("enrollments/<int:pk>/approve/", enrollment_api.EnrollmentApproveApi.as_view(), name="enrollment-approve"),
    path("enrollments/<int:pk>/decline/", enrollment_api.EnrollmentDeclineApi.as_view(), name="enrollment-decline"),
    path("enrollments/<int:pk>/withdraw/", enrollment_api.EnrollmentWithdrawApi.as_view(), name="enrollment-withdraw"),
    path("enrollments/<int:pk>/progress/", progress_api.EnrollmentProgressApi.as_view(), name="enrollment-progress"),
    path("completions/", progress_api.CompletionListApi.as_view(), name="completions"),
    path(
        "people/<int:membership_id>/transcript/",
        progress_api.PersonTranscriptApi.as_view(),
        name="person-transcript",
    ),
    path("courses/<int:pk>/enroll/", enrollment_api.CourseSelfEnrollApi.as_view(), name="course-enroll"),
    path("courses/<int:pk>/groups/", enrollment_groups_api.CourseGroupListApi.as_view(), name="course-groups"),
    path("course-groups/<int:pk>/", enrollment_groups_api.CourseGroupDetailApi.as_view(), name="course-group-detail"),
    path(
        "course-groups/<int:pk>/members/",
        enrollment_groups_api.CourseGroupMembersApi.as_view(),
        name="course-group-members",
    ),
    path("enrollment-rules/", enrollment_rules_api.EnrollmentRuleListApi.as_view(), name="enrollment-rules"),
    path(
        "enrollment-rules/<int:pk>/",
        enrollment_rules_api.EnrollmentRuleDetailApi.as_view(),
        name="enrollment-rule-detail",
    ),
    path(
        "courses/<int:pk>/enrollment-options/",
        enrollment_rules_api.EnrollmentOptionsApi.as_view(),
        name="course-enrollment-options",
    ),
    # notifications: the caller's centre and preferences; the types; the organisation's wording and delivery log
    path("notifications/", notifications_api.NotificationListApi.as_view(), name="notifications"),
    path(
        "notifications/unread-count/",
        notifications_api.NotificationUnreadCountApi.as_view(),
        name="notifications-unread-count",
    ),
    path("notifications/read-all/", notifications_api.NotificationReadAllApi.as_view(), name="notifications-read-all"),
    path(
        "notifications/preferences/",
        notifications_api.NotificationPreferencesApi.as_view(),
        name="notification-preferences",
    ),
    path("notifications/<int:pk>/read/", notifications_api.NotificationReadApi.as_view(), name="notification-read"),
    path(
        "notifications/<int:pk>/unread/", notifications_api.NotificationUnreadApi.as_view(), name="notification-unread"
    ),
    path("notification-types/", notifications_api.NotificationTypeListApi.as_view(), name="notification-types"),
    path(
        "notification-types/<str:key>/mandatory/",
        notifications_api.NotificationTypeMandatoryApi.as_view(),
        name="notification-type-mandatory",
    ),
    path(
        "notification-types/<str:key>/templates/<str:language>/",
        notifications_api.NotificationTemplateApi.as_view(),
        name="notification-type-template",
    ),
    path(
        "notification-deliveries/",
        notifications_api.NotificationDeliveryListApi.as_view(),
        name="notification-deliveries",
    ),
    path("", include("syllabus.catalog.api_urls")),
    path("", include("syllabus.skills.api_urls")),
]

# Swagger UI under the site's strict Content-Security-Policy: the split view serves its start-up code as a
# separate script file (/api/docs/?script=), so every script is a same-origin file. Its page template still has one
# small inline <style> block (box-sizing, background); this page alone allows exactly that block by its hash.
# tests/api/test_schema_and_docs.py recomputes the hash, so an upgrade that changes the block fails loudly.
SWAGGER_UI_STYLE_HASH = "'sha256-MMpT0iDxyjALd9PdfepImGX3DBfJPXZ4IlDWdPAgtn0='"
docs_view = csp_update({"style-src": [SWAGGER_UI_STYLE_HASH]})(
    SpectacularSwaggerSplitView.as_view(url_name="api:schema")
)

app_name = "api"

urlpatterns: list[URLPattern | URLResolver] = [
    path("v1/", include((v1, "v1"))),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", docs_view, name="docs"),
]
