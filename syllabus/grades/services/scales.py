"""An organisation's letter scales: bands of {"letter": "A", "min": "90"} from the highest minimum down to 0."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from syllabus.access.policy import NOT_ALLOWED, principal_for
from syllabus.accounts.models import Organization, User
from syllabus.audit.services import audit_record
from syllabus.grades import policy
from syllabus.grades.models import GradebookSettings, LetterScale
from syllabus.grades.services.setup import decimal_in

AUDIT_ACTIONS = (
    ("grades.letter_scale_created", "Letter scale added"),
    ("grades.letter_scale_updated", "Letter scale changed"),
    ("grades.letter_scale_deleted", "Letter scale deleted"),
)

BANDS_NOT_LIST = "Give the bands as a list of letters with their minimum percentage."
BANDS_COUNT = "Give from 2 to {limit} bands."
BAND_LETTER = "Band {n}: a letter is 1 to 5 characters."
BAND_LETTER_TAKEN = "Band {n}: the letter {letter} is used twice."
BAND_MIN = "Band {n}: the minimum is a percentage from 0 to 100 (at most 2 decimal places)."
BAND_ORDER = "Band {n}: minimums go down from the first band to the last."
BAND_LAST = "The last band's minimum must be 0, so that every grade has a letter."
SCALE_NAME_REQUIRED = "Enter a name."
SCALE_NAME_TOO_LONG = "Use at most 120 characters."
SCALE_NAME_TAKEN = "The organisation already has a scale with this name."
UNKNOWN_FIELD = "This cannot be changed here."
BANDS_LIMIT = 30


def letter_for(bands: Sequence[Mapping[str, Any]], percent: Decimal | None) -> str:
    """The letter of the first band whose minimum the percent reaches ("" for None or no band)."""
    if percent is None:
        return ""
    for band in bands:
        try:
            if percent >= Decimal(str(band["min"])):
                return str(band["letter"])
        except (KeyError, ArithmeticError, ValueError):
            continue
    return ""


def scale_for(gradebook: GradebookSettings) -> LetterScale | None:
    """The gradebook's letters: its own scale, else the organisation's default, else None."""
    if gradebook.letter_scale_id is not None:
        return gradebook.letter_scale
    return LetterScale.objects.filter(organization_id=gradebook.organization_id, is_default=True).first()


def bands_clean(value: Any) -> list[dict[str, str]]:
    """Validated bands (letters 1..5 characters, unique; minimums 0..100 strictly decreasing; the last 0), each as
    {"letter": ..., "min": "90.00"}. Raises ValidationError naming the band."""
    if not isinstance(value, list | tuple) or any(not isinstance(b, Mapping) for b in value):
        raise ValidationError(BANDS_NOT_LIST)
    if not 2 <= len(value) <= BANDS_LIMIT:
        raise ValidationError(BANDS_COUNT.format(limit=BANDS_LIMIT))
    errors: list[str] = []
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    previous: Decimal | None = None
    for n, band in enumerate(value, start=1):
        letter = str(band.get("letter") or "").strip()
        if not 1 <= len(letter) <= 5:
            errors.append(BAND_LETTER.format(n=n))
        elif letter in seen:
            errors.append(BAND_LETTER_TAKEN.format(n=n, letter=letter))
        seen.add(letter)
        try:
            minimum = decimal_in(band.get("min"), low=Decimal(0), high=Decimal(100), places=2)
        except ValueError:
            errors.append(BAND_MIN.format(n=n))
            continue
        if previous is not None and minimum >= previous:
            errors.append(BAND_ORDER.format(n=n))
        previous = minimum
        out.append({"letter": letter, "min": str(minimum)})
    if not errors and previous != 0:
        errors.append(BAND_LAST)
    if errors:
        raise ValidationError(errors)
    return out


def _require(by: User, organization: Organization) -> None:
    if not policy.can_manage_scales(principal_for(by, organization)):
        raise PermissionDenied(NOT_ALLOWED)


def _values(organization: Organization, fields: Mapping[str, Any], exclude_pk: int | None = None) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    values: dict[str, Any] = {}
    for key, value in fields.items():
        if key == "name":
            name = str(value or "").strip()
            if not name:
                errors[key] = SCALE_NAME_REQUIRED
            elif len(name) > 120:
                errors[key] = SCALE_NAME_TOO_LONG
            elif LetterScale.objects.filter(organization=organization, name=name).exclude(pk=exclude_pk or 0).exists():
                errors[key] = SCALE_NAME_TAKEN
            values[key] = name
        elif key == "bands":
            try:
                values[key] = bands_clean(value)
            except ValidationError as error:
                errors[key] = error.messages
        elif key == "is_default":
            values[key] = bool(value) if isinstance(value, bool) else str(value).lower() in {"true", "1", "on", "yes"}
        else:
            errors[key] = UNKNOWN_FIELD
    if errors:
        raise ValidationError(errors)
    return values


def _facts(scale: LetterScale) -> dict[str, Any]:
    return {"name": scale.name, "bands": scale.bands, "is_default": scale.is_default}


def letter_scale_create(
    *, by: User, organization: Organization, name: str, bands: Any, is_default: bool = False
) -> LetterScale:
    """A scale of the organisation; the new default replaces the old one."""
    _require(by, organization)
    values = _values(organization, {"name": name, "bands": bands, "is_default": is_default})
    with transaction.atomic():
        if values["is_default"]:
            LetterScale.objects.filter(organization=organization, is_default=True).update(is_default=False)
        scale = LetterScale.objects.create(organization=organization, **values)
        audit_record(
            organization=organization, action="grades.letter_scale_created", actor=by, target=scale, after=_facts(scale)
        )
    return scale


def letter_scale_update(*, by: User, scale: LetterScale, **fields: Any) -> LetterScale:
    """fields: name, bands, is_default."""
    organization = scale.organization
    _require(by, organization)
    values = _values(organization, fields, exclude_pk=scale.pk)
    with transaction.atomic():
        scale = LetterScale.objects.select_for_update().get(pk=scale.pk)
        before = _facts(scale)
        if values.get("is_default") and not scale.is_default:
            LetterScale.objects.filter(organization=organization, is_default=True).update(is_default=False)
        for key, value in values.items():
            setattr(scale, key, value)
        scale.save()
        if _facts(scale) != before:
            audit_record(
                organization=organization,
                action="grades.letter_scale_updated",
                actor=by,
                target=scale,
                before=before,
                after=_facts(scale),
            )
    return scale


def letter_scale_delete(*, by: User, scale: LetterScale) -> None:
    """Delete a scale: gradebooks using it fall back to the organisation's default (their letter_scale is cleared;
    `scale_for` then finds the default)."""
    organization = scale.organization
    _require(by, organization)
    with transaction.atomic():
        users = GradebookSettings.objects.filter(letter_scale=scale)
        count = users.update(letter_scale=None)
        audit_record(
            organization=organization,
            action="grades.letter_scale_deleted",
            actor=by,
            target=scale,
            before=_facts(scale),
            after={"gradebooks_reset": count},
        )
        scale.delete()
