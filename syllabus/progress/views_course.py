"""The course team's completion settings: when the course counts as completed, and for how long."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from syllabus.access.decorators import organization_view
from syllabus.access.policy import Principal
from syllabus.accounts.models import Organization, User
from syllabus.enrollment import selectors_course as course_selectors
from syllabus.progress import services
from syllabus.progress.models import CompletionSettings

View = Callable[..., HttpResponse]


class CompletionSettingsForm(forms.Form):
    rule = forms.ChoiceField(
        label=gettext_lazy("Completed when"), choices=CompletionSettings.Rule.choices, widget=forms.RadioSelect
    )
    required_count = forms.IntegerField(
        label=gettext_lazy("Number of activities"),
        required=False,
        min_value=1,
        help_text=gettext_lazy("Only for “A number of activities are completed”."),
    )
    min_score = forms.DecimalField(
        label=gettext_lazy("Minimum final score (%)"),
        required=False,
        min_value=Decimal(0),
        max_value=Decimal(100),
        decimal_places=2,
        help_text=gettext_lazy("Only for “…the final score reaches a minimum”. The average of the scored activities."),
    )
    valid_for_days = forms.IntegerField(
        label=gettext_lazy("Completion valid for (days)"),
        required=False,
        min_value=1,
        help_text=gettext_lazy("Leave empty if a completion never expires (365 for a yearly refresher)."),
    )


@organization_view
@require_http_methods(["GET", "POST"])
def completion_settings(
    request: HttpRequest, organization: Organization, principal: Principal, pk: int
) -> HttpResponse:
    """Answers 404 to people not concerned by the course, 403 to its team members who may not edit it."""
    course = course_selectors.course_for_team(organization=organization, principal=principal, pk=pk)
    if course is None:
        raise Http404
    principal.require("course.edit", course)
    current = services.settings_for(course.pk)
    initial = {
        "rule": current.rule,
        "required_count": current.required_count,
        "min_score": current.min_score,
        "valid_for_days": current.valid_for_days,
    }
    form = CompletionSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        user: User = request.user  # type: ignore[assignment]
        try:
            services.completion_settings_update(course=course, by=user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("The completion settings were saved. They apply to progress from now on."))
            return redirect("progress:completion-settings", pk=course.pk)
    context = {
        **course_selectors.course_header(principal, course, "completion"),
        "form": form,
        "activity_count": _activity_count(course.published_version_id),
    }
    return render(request, "progress/course/completion_settings.html", context, status=400 if form.errors else 200)


def _activity_count(version_id: int | None) -> int | None:
    return len(services.requirements(version_id).activity_uids) if version_id else None
