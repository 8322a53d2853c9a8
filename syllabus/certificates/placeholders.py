"""The `{{ placeholders }}` a certificate template may use: a closed list, substituted by a plain regex replace.

Not the Django template engine, on purpose: templates are written by organisation admins, and a template must never
reach anything but these values — no logic, no attribute access, no filters, no tags. Substitution is one pass of
`re.sub`, so a value is never scanned again: a learner called `{{ verify_url }}` or `<script>` is printed as typed,
escaped, and never expanded. Values are HTML-escaped unless they are markup this module's callers built themselves
(`SafeString`: the QR code, the logo, the signatories block).

`problems(html)` says what is wrong with a template's HTML, one message per problem, each naming its line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.html import conditional_escape
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Placeholder:
    name: str
    description: Promise | str
    markup: bool = False  # its value is HTML this app builds (an image, a block), not text to escape

    @property
    def token(self) -> str:
        return "{{ " + self.name + " }}"


PLACEHOLDERS: tuple[Placeholder, ...] = (
    Placeholder("learner_name", _("The name of the person who earned the certificate.")),
    Placeholder("title", _("What was completed: the course's or the compliance program's name.")),
    Placeholder("kind", _("“course” or “program”, for sentences like “has completed the {{ kind }}”.")),
    Placeholder("issued_on", _("The day the certificate was earned, for example 3 March 2026.")),
    Placeholder("expires_on", _("The last day the certificate is valid; empty when it does not expire.")),
    Placeholder(
        "valid_until_sentence", _("“Valid until 2 March 2027”, or nothing at all when the certificate does not expire.")
    ),
    Placeholder("score", _("The score, for example 91.5%; empty when there is none.")),
    Placeholder("version", _("The version of the course that was completed, for example v3; may be empty.")),
    Placeholder("certificate_id", _("The certificate's unique public id.")),
    Placeholder("verify_url", _("The address of the certificate's public verification page.")),
    Placeholder("qr_code", _("A QR code (an image) pointing at the verification page."), markup=True),
    Placeholder("organization_name", _("The organisation's name.")),
    Placeholder("organization_logo", _("The organisation's logo (an image), or nothing without one."), markup=True),
    Placeholder(
        "signatories",
        _("The signatories set on the template, each with a signature line, name and title (a block)."),
        markup=True,
    ),
)
NAMES: frozenset[str] = frozenset(p.name for p in PLACEHOLDERS)
MARKUP: frozenset[str] = frozenset(p.name for p in PLACEHOLDERS if p.markup)

# A placeholder as substituted: the name between double braces, spaces optional.
PATTERN = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
# Anything an author may have meant as a placeholder or a template tag, to say so when it is not one. Braces do
# not span lines: what an author writes as one placeholder is on one line.
BRACES = re.compile(r"\{\{[^\n]*?\}\}|\{%[^\n]*?%\}")
# Longer than this, the offending text is cut in the message (it is shown back to the author).
SHOWN_MAX = 40

UNKNOWN_PLACEHOLDER = "Line {line}: {found} is not a placeholder. Use one of the placeholders listed."
TAG_NOT_SUPPORTED = "Line {line}: {found} is not supported. Templates only have {{{{ placeholders }}}}."
UNCLOSED_PLACEHOLDER = "Line {line}: a placeholder is opened with {{{{ but not closed with }}}} on the same line."


def _shown(text: str) -> str:
    return text if len(text) <= SHOWN_MAX else text[: SHOWN_MAX - 1] + "…"


def problems(html: str) -> list[str]:
    """What is wrong with the placeholders of `html`: unknown names, template tags, unclosed braces; each message
    names its line (1-based). Empty when every placeholder is known."""
    out: list[str] = []
    for number, line in enumerate(html.splitlines(), start=1):
        for match in BRACES.finditer(line):
            found = match.group(0)
            if found.startswith("{%"):
                out.append(TAG_NOT_SUPPORTED.format(line=number, found=_shown(found)))
                continue
            known = PATTERN.fullmatch(found)
            if known is None or known.group(1) not in NAMES:
                out.append(UNKNOWN_PLACEHOLDER.format(line=number, found=_shown(found)))
        rest = BRACES.sub("", line)
        if "{{" in rest:
            out.append(UNCLOSED_PLACEHOLDER.format(line=number))
    return out


def used(html: str) -> set[str]:
    """The known placeholders `html` uses."""
    return {name for name in PATTERN.findall(html) if name in NAMES}


def substitute(html: str, values: Mapping[str, str]) -> str:
    """`html` with every known placeholder replaced by its value, escaped unless it is a `SafeString`.

    One pass: what a value contains is never substituted again. An unknown placeholder (a template saved before
    validation, or data from elsewhere) is left as written; a known one without a value becomes empty.
    """

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in NAMES:
            return match.group(0)
        return str(conditional_escape(values.get(name, "")))

    return PATTERN.sub(replace, html)
