"""The anatomy of an activity kind, and the one registry of kinds.

A kind is a plugin: a folder `catalog/activity_kinds/<kind>/` (or any app, for later kinds such as quizzes or
SCORM) holding a subclass of `ActivityKind` registered with `register()` from its AppConfig.ready(). The catalog
never names a kind: authoring, versions, the learner view and search all go through this interface.

A kind owns the `config` and `completion` JSON of its activities:
- `clean(data, files, ...)` validates what an author sent (form or API) and returns the new config, raising
  `ValidationError` naming the field; uploads are stored as `CourseAsset` rows and referenced by id;
- `completion_rules` lists the rules an author may choose, each built from `signals` the kind produces;
- `render_learner` draws the activity for a learner from a version snapshot (never from the draft);
- `search_text` and `describe` feed the catalog search and the review diff;
- `asset_ids` names the uploads a config refers to (what a learner of that version may download).

Optional hooks for the learner player (catalog/views_player.py), all with harmless defaults:
- `signals_on_open(config)` — signals the player emits when a learner opens the activity ("viewed");
- `accept_signal(payload=..., context=SignalContext)` — validate what the browser reports to the signal endpoint
  (JSON or a form post) and return the completion signals it produces (`Emitted`), maybe none;
- `open_target(config=..., context=LearnerContext)` — where the "open" endpoint redirects after recording
  "opened" (a link's URL, a document's download), or None;
- `csp_for(config=..., context=LearnerContext)` — directives the learner page adds to the CSP for this activity
  (an allow-listed iframe host, an external video host), e.g. {"frame-src": ["https://example.org"]}.
See activity_kinds/README.md for the checklist of a new kind.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from django.core.exceptions import ValidationError
from django.utils.functional import Promise

if TYPE_CHECKING:
    from django.http import HttpRequest
    from django.utils.safestring import SafeString

    from syllabus.accounts.models import User
    from syllabus.catalog.models import Course

UNKNOWN_KIND = "Unknown activity kind: {kind}."
UNKNOWN_RULE = "This kind of activity cannot be completed by {rule}."
UNKNOWN_SIGNAL = "This activity does not accept the signal “{signal}”."
FILE_AGAIN = "Choose the file again: files are not kept when the form has an error."


@dataclass(frozen=True)
class CompletionRule:
    """A way an activity counts as complete, e.g. "viewed", or "watched" with a percentage parameter."""

    key: str
    label: str | Promise
    # The completion signals that satisfy this rule (see `ActivityKind.signals`).
    signals: tuple[str, ...]
    # Parameter name -> (minimum, maximum, default), all integers, e.g. {"percent": (1, 100, 90)}.
    parameters: Mapping[str, tuple[int, int, int]] = field(default_factory=dict)


@dataclass
class AuthorContext:
    """What `clean` needs besides the input: the course (for uploads), the author and the existing config."""

    course: Course
    by: User
    current: Mapping[str, Any]


@dataclass
class LearnerContext:
    """What `render_learner` gets: the activity as it is in the version the learner reads."""

    request: HttpRequest
    course: Course
    version_id: int | None  # None while an author previews the draft
    activity: Mapping[str, Any]  # the activity's snapshot: uid, kind, title, config, completion, ...
    signal_url: str  # POST here to report a completion signal (see catalog.views_learner)
    asset_url: Any  # callable(asset_id: int) -> str, the URL serving that asset of this course
    embed_allowlist: frozenset[str] = frozenset()
    preview: bool = False
    # GET here to record "opened" and be redirected to `open_target` (empty while previewing).
    open_url: str = ""


@dataclass
class SignalContext:
    """What `accept_signal` gets: who reports what about which activity of which published version."""

    request: HttpRequest
    course: Course
    version_id: int
    activity: Mapping[str, Any]  # the activity's snapshot in that version
    user: User
    # Extra JSON for the browser's answer (e.g. the video's coverage so far); the kind may fill it.
    reply: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Emitted:
    """A completion signal produced for a learner (becomes a catalog.events.ActivitySignalled)."""

    signal: str
    data: Mapping[str, Any] = field(default_factory=dict)


class ActivityKind(ABC):
    key: ClassVar[str]
    label: ClassVar[str | Promise]
    description: ClassVar[str | Promise] = ""
    # Every completion signal this kind can report for a learner ("viewed", "opened", "watched", "acknowledged").
    signals: ClassVar[tuple[str, ...]] = ()
    completion_rules: ClassVar[tuple[CompletionRule, ...]] = ()

    # --- authoring -----------------------------------------------------------------------------------------
    def form_fields(self, *, current: Mapping[str, Any], course: Course | None = None) -> list[dict[str, Any]]:
        """Describes the author form (rendered by the kind's own template `author_template`).

        One dict per field: name (the key in `data`/`files` given to `clean`), label, type (text, url, textarea,
        richtext, file, select, radio, checkbox, checkboxes, number), value, and optionally help, required,
        choices [(value, label)], accept (file types), note (e.g. the current file), html (a pre-rendered widget),
        again (for a file: what to say when the form comes back with an error and the file must be chosen again).

        `current` is the saved config, with what the author sent (under the field names) laid over it when the
        form comes back with an error; `render_author` puts the sent values back in any case.
        """
        return []

    author_template: ClassVar[str] = ""

    def render_author(
        self,
        *,
        request: HttpRequest | None,
        current: Mapping[str, Any],
        course: Course | None,
        errors: Mapping[str, list[str]] | None = None,
    ) -> SafeString:
        """The kind's own fields of the author form, with `errors` (field name -> messages) beside each field.

        The authoring page puts this inside its <form method="post" enctype="multipart/form-data"> and sends the
        POST data and files to the service unchanged (they reach `clean`). Field names never collide with the
        common activity fields (title, completion_rule, is_required, duration_minutes, skills).
        """
        from django.template.loader import render_to_string
        from django.utils.safestring import mark_safe

        if not self.author_template:
            return mark_safe("")
        from syllabus.catalog import richtext

        errors = errors or {}
        fields = self.form_fields(current=current, course=course)
        # A form sent back with errors shows what the author typed, whatever config key each field comes from.
        sent = request if request is not None and request.method == "POST" else None
        media = None
        for item in fields:
            item.setdefault("id", f"id_{item['name']}")
            item["errors"] = list(errors.get(item["name"], []))
            if sent is not None:
                _keep_typed(item, sent.POST, sent.FILES, course)
            if item.get("type") == "richtext":
                item["html"] = richtext.render_widget(
                    name=item["name"],
                    value=item.get("value") or "",
                    element_id=item["id"],
                    course_id=course.pk if course is not None else None,
                    described_by=" ".join(
                        ([f"{item['id']}_helptext"] if item.get("help") else [])
                        + ([f"{item['id']}_error"] if item["errors"] else [])
                    ),
                    invalid=bool(item["errors"]),
                )
                media = richtext.RichTextWidget().media
        context = {"kind": self, "fields": fields, "errors": errors, "course": course, "media": media}
        return mark_safe(render_to_string(self.author_template, context, request=request))

    @abstractmethod
    def clean(self, *, data: Mapping[str, Any], files: Mapping[str, Any], context: AuthorContext) -> dict[str, Any]:
        """Validate an author's input and return the new config. Raise ValidationError({field: message})."""

    def clean_completion(self, completion: Mapping[str, Any] | None) -> dict[str, Any]:
        """Validate a completion choice ({"rule": key, **parameters}); default: the kind's first rule."""
        rules = {rule.key: rule for rule in self.completion_rules}
        if not rules:
            return {}
        completion = dict(completion or {})
        key = completion.get("rule") or self.completion_rules[0].key
        rule = rules.get(str(key))
        if rule is None:
            raise ValidationError({"completion": UNKNOWN_RULE.format(rule=key)})
        cleaned: dict[str, Any] = {"rule": rule.key}
        for name, (low, high, default) in rule.parameters.items():
            raw = completion.get(name, default)
            try:
                value = int(raw)
            except (TypeError, ValueError):
                raise ValidationError({name: f"Enter a whole number from {low} to {high}."}) from None
            if not low <= value <= high:
                raise ValidationError({name: f"Enter a whole number from {low} to {high}."})
            cleaned[name] = value
        return cleaned

    # --- learners ------------------------------------------------------------------------------------------
    @abstractmethod
    def render_learner(self, context: LearnerContext) -> SafeString:
        """The activity as a learner sees it, from the version's snapshot (`context.activity`)."""

    def signals_on_open(self, config: Mapping[str, Any]) -> tuple[str, ...]:
        """Signals produced just by opening the activity (the player emits them; never in a preview)."""
        return ()

    def accept_signal(self, *, payload: Mapping[str, Any], context: SignalContext) -> list[Emitted]:
        """Validate a report from the learner's browser; raise ValidationError for a bad one."""
        raise ValidationError({"signal": UNKNOWN_SIGNAL.format(signal=str(payload.get("signal", ""))[:40])})

    def open_target(self, *, config: Mapping[str, Any], context: LearnerContext) -> str | None:
        """Where the "open" endpoint sends the learner after recording "opened" (None: nothing to open)."""
        return None

    def csp_for(self, *, config: Mapping[str, Any], context: LearnerContext) -> dict[str, list[str]]:
        """CSP directives to add on the learner page of this activity (sources appended to the site's policy)."""
        return {}

    # --- grades ----------------------------------------------------------------------------------------------
    # A graded kind reports a score (a percentage, `data["score"]` of an ActivitySignalled) that the gradebook
    # keeps as one grade item per activity; `grade_max` is that item's maximum in points (None: 100).
    graded: ClassVar[bool] = False

    def grade_max(self, config: Mapping[str, Any]) -> Decimal | None:
        return None

    # --- search, review, versions --------------------------------------------------------------------------
    def search_text(self, config: Mapping[str, Any]) -> str:
        """Plain text of this activity for the catalog's full-text search."""
        return ""

    def describe(self, config: Mapping[str, Any]) -> dict[str, str]:
        """Human-readable fields of the config, for the review diff ("Body": "...", "Video": "intro.mp4")."""
        return {}

    def asset_ids(self, config: Mapping[str, Any]) -> list[int]:
        return []

    def copy_config(self, config: Mapping[str, Any], asset_map: Mapping[int, int]) -> dict[str, Any]:
        """The config for a copy of the course, with asset ids replaced through `asset_map` (old id -> new id)."""
        return dict(config)


def _keep_typed(item: dict[str, Any], data: Any, files: Any, course: Course | None) -> None:
    """Put what the author sent in the field `item` again (the form is shown back with an error)."""
    name = item["name"]
    kind = item.get("type")
    if kind == "file":
        # A browser never pre-fills a file input: a file sent with this form (and not itself refused) is lost,
        # and saving again without it would silently drop it. Say so beside the field.
        if files.get(name) and not item["errors"]:
            item["errors"].append(str(item.get("again") or FILE_AGAIN))
    elif kind == "checkbox":
        item["value"] = str(data.get(name, "")).strip().lower() in {"on", "true", "1", "yes"}
    elif kind == "checkboxes":
        item["value"] = [value for value in data.getlist(name) if value]
    elif name in data:
        value = str(data.get(name, ""))
        if kind == "richtext":
            from syllabus.catalog import richtext

            # Back into the editor, never as sent: the same allowlist as when it is saved.
            value = richtext.sanitize_html(value, course_id=course.pk if course is not None else None)
        item["value"] = value


_KINDS: dict[str, ActivityKind] = {}


def register(kind: ActivityKind) -> None:
    _KINDS[kind.key] = kind


def get(key: str) -> ActivityKind:
    try:
        return _KINDS[key]
    except KeyError:
        raise ValidationError({"kind": UNKNOWN_KIND.format(kind=key)}) from None


def all_kinds() -> list[ActivityKind]:
    return list(_KINDS.values())


def is_registered(key: str) -> bool:
    return key in _KINDS
