"""The award form (create and edit): what earns the certificate, the template, the badge, and reminders.

It parses the browser's strings into `services.awards.AwardFields` and lets the service judge them, so the page and
the API refuse the same things with the same words; each refusal lands on the field it names.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from syllabus.accounts.models import Organization
from syllabus.catalog.models import Course
from syllabus.certificates.forms_manage import ServiceErrors
from syllabus.certificates.models import Award, Source, Template
from syllabus.certificates.services import awards as services
from syllabus.compliance.models import Program


def _choices(blank: Any, rows: list[tuple[int, str]]) -> list[tuple[Any, Any]]:
    return [("", blank), *rows]


class AwardForm(ServiceErrors, forms.Form):
    source = forms.ChoiceField(
        label=_("Issued for"), choices=Source.choices, widget=forms.RadioSelect, initial=Source.COURSE
    )
    course_id = forms.TypedChoiceField(
        label=_("Course"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("The organisation's published courses. Completing it issues the certificate."),
    )
    program_id = forms.TypedChoiceField(
        label=_("Compliance program"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_(
            "The organisation's active programs. Each satisfied cycle issues a certificate, which expires with the "
            "cycle when the program recurs."
        ),
    )
    template_id = forms.TypedChoiceField(
        label=_("Template"),
        coerce=int,
        empty_value=None,
        help_text=_("How the certificate looks. Certificate templates are listed under Administration."),
    )
    enabled = forms.BooleanField(
        label=_("Issue certificates"),
        required=False,
        initial=True,
        help_text=_("Untick to stop issuing new certificates for a while; those already issued stay valid."),
    )
    issue_badge = forms.BooleanField(
        label=_("Also issue an Open Badge"),
        required=False,
        initial=True,
        help_text=_(
            "A signed digital badge the holder can add to a badge wallet or an online profile, and anyone can check."
        ),
    )
    achievement_name = forms.CharField(
        label=_("Achievement name"),
        required=False,
        max_length=services.NAME_LIMIT,
        help_text=_("Printed on the certificate and in the badge. Leave it empty to use the course or program's name."),
    )
    achievement_description = forms.CharField(
        label=_("Achievement description"),
        required=False,
        max_length=services.TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("A sentence or two about what the holder learned, shown with the badge."),
    )
    criteria = forms.CharField(
        label=_("Criteria"),
        required=False,
        max_length=services.TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "What the holder did to earn it, for example “Passed the final assessment with 80% or more”. Shown to "
            "whoever checks the badge."
        ),
    )
    remind_days = forms.CharField(
        label=_("Remind the holder before expiry (days)"),
        required=False,
        max_length=100,
        help_text=_(
            "How many days before expiry the holder gets a reminder, separated by commas, for example “30, 7”. "
            "At most 5. Leave it empty for the usual 30 and 7. Only certificates that expire get reminders."
        ),
        # No inputmode="numeric": phone number pads have no comma, and the days are separated by commas.
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(
        self,
        data: Any = None,
        *,
        organization: Organization,
        templates: list[Template],
        award: Award | None = None,
        initial: dict[str, Any] | None = None,
    ) -> None:
        if initial is None:
            initial = self.initial_for(award)
            if award is None and templates:
                initial["template_id"] = templates[0].pk  # the default template comes first
        super().__init__(data, initial=initial)
        courses = list(services.available_courses(organization).values_list("pk", "title"))
        programs = list(services.available_programs(organization).values_list("pk", "name"))
        # An award keeps its course or program when that is archived later: it stays a choice on its own form.
        if award is not None and award.course_id and all(pk != award.course_id for pk, _t in courses):
            courses += list(Course.objects.filter(pk=award.course_id).values_list("pk", "title"))
        if award is not None and award.program_id and all(pk != award.program_id for pk, _n in programs):
            programs += list(Program.objects.filter(pk=award.program_id).values_list("pk", "name"))
        rows = [(t.pk, t.name) for t in templates]
        if award is not None and all(pk != award.template_id for pk, _n in rows):
            rows.append((award.template_id, award.template.name))
        self.fields["course_id"].choices = _choices(_("Choose a course"), courses)  # type: ignore[attr-defined]
        self.fields["program_id"].choices = _choices(_("Choose a program"), programs)  # type: ignore[attr-defined]
        self.fields["template_id"].choices = rows  # type: ignore[attr-defined]
        self.has_courses = bool(courses)
        self.has_programs = bool(programs)

    @staticmethod
    def initial_for(award: Award | None) -> dict[str, Any]:
        if award is None:
            return {"source": Source.COURSE, "enabled": True, "issue_badge": True}
        return {
            "source": award.source,
            "course_id": award.course_id,
            "program_id": award.program_id,
            "template_id": award.template_id,
            "enabled": award.enabled,
            "issue_badge": award.issue_badge,
            "achievement_name": award.achievement_name,
            "achievement_description": award.achievement_description,
            "criteria": award.criteria,
            "remind_days": ", ".join(str(day) for day in award.remind_days or []),
        }

    def clean_remind_days(self) -> tuple[int, ...]:
        # The service reads the same text the API would send as a list; its words name this field.
        try:
            return services.parse_remind_days(self.cleaned_data.get("remind_days") or "")
        except forms.ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["remind_days"]) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # Said now, with the other errors of the round, rather than after they are fixed (the service checks too).
        if data.get("source") == Source.COURSE and not data.get("course_id") and "course_id" not in self.errors:
            self.add_error("course_id", services.COURSE_REQUIRED)
        if data.get("source") == Source.PROGRAM and not data.get("program_id") and "program_id" not in self.errors:
            self.add_error("program_id", services.PROGRAM_REQUIRED)
        return data

    @property
    def fields_for_service(self) -> services.AwardFields:
        data = self.cleaned_data
        source = data["source"]
        return services.AwardFields(
            source=source,
            course_id=data.get("course_id") if source == Source.COURSE else None,
            program_id=data.get("program_id") if source == Source.PROGRAM else None,
            template_id=data.get("template_id"),
            enabled=bool(data.get("enabled")),
            issue_badge=bool(data.get("issue_badge")),
            achievement_name=data.get("achievement_name") or "",
            achievement_description=data.get("achievement_description") or "",
            criteria=data.get("criteria") or "",
            remind_days=tuple(data.get("remind_days") or ()),
        )
