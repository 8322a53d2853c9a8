"""The two ready-made designs every organisation can start from: "Classic" (a framed, serif certificate) and
"Modern" (a coloured band, sans-serif). Both use only placeholders and plain HTML and CSS, size themselves with the
page (`--page-width`, `--page-height`, set by the document for the template's page size), and always fit one page:
the certificate box is exactly one page high and clips what could not fit (a 300-character name), so a PDF never
spills onto a second page; titles of 120 characters and long names fit without clipping.

`template_create_defaults` adds them to an organisation (the demo, and an organisation's first award when it has
no template yet).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from syllabus.access.policy import NOT_ALLOWED, principal_for
from syllabus.accounts.models import Organization, User
from syllabus.certificates import policy
from syllabus.certificates.models import PageSize, Template
from syllabus.certificates.rendering import TemplateFields


@dataclass(frozen=True)
class Design:
    key: str
    html: str
    css: str


CLASSIC_HTML = """<div class="certificate">
  <div class="frame">
    <div class="head">{{{{ organization_logo }}}}<p class="organization">{{{{ organization_name }}}}</p></div>
    <p class="kicker">{kicker}</p>
    <p class="lead">{certify}</p>
    <p class="name">{{{{ learner_name }}}}</p>
    <p class="lead">{completed}</p>
    <h1 class="title">{{{{ title }}}}</h1>
    <p class="dates">{awarded}</p>
    <p class="dates">{{{{ valid_until_sentence }}}}</p>
    <div class="foot">
      <div class="signatures">{{{{ signatories }}}}</div>
      <div class="verify">{{{{ qr_code }}}}<p>{number}<br>{verify}</p></div>
    </div>
  </div>
</div>
"""

CLASSIC_CSS = """/* Classic: a framed certificate in serif type. The box is one page; what cannot fit is clipped.
   Plain blocks and absolute positions: WeasyPrint lays them out fast (nested flex boxes cost it seconds). */
.certificate {
  /* An inline block is never split across pages: with its height and overflow, the certificate is one page. */
  display: inline-block;
  vertical-align: top;
  box-sizing: border-box;
  width: var(--page-width);
  height: var(--page-height);
  overflow: hidden;
  padding: 8mm;
  background: #fffdf6;
  color: #1f2937;
  font-family: var(--serif);
}
.frame {
  box-sizing: border-box;
  position: relative;
  height: 100%;
  border: 2.5mm double #9a7b2c;
  padding: 12mm 16mm 0;
  text-align: center;
}
.head img { vertical-align: middle; margin-right: 4mm; }
.organization {
  display: inline;
  margin: 0;
  font-size: 12pt;
  letter-spacing: 0.08em;
  text-transform: uppercase;
  color: #6b5518;
}
.kicker { margin: 10mm 0 5mm; font-size: 26pt; letter-spacing: 0.12em; text-transform: uppercase; color: #9a7b2c; }
.lead { margin: 1mm 0; font-size: 13pt; font-style: italic; }
.name {
  display: inline-block;
  box-sizing: border-box;
  margin: 3mm 0 5mm;
  max-width: 100%;
  padding: 0 8mm 2mm;
  border-bottom: 0.3mm solid #9a7b2c;
  font-size: 32pt;
  font-weight: bold;
  line-height: 1.15;
  overflow-wrap: break-word;
  /* At most four lines: a longer name is cut rather than push the rest off the page. */
  max-height: 4.6em;
  overflow: hidden;
}
.title {
  margin: 3mm 0 7mm;
  max-height: 4.8em;
  overflow: hidden;
  font-size: 22pt;
  line-height: 1.2;
  overflow-wrap: break-word;
}
.dates { margin: 1mm 0; font-size: 12pt; }
.dates:empty { display: none; }
.foot { position: absolute; left: 16mm; right: 16mm; bottom: 6mm; height: 34mm; }
.signatures { position: absolute; left: 0; right: 84mm; bottom: 0; font-size: 9pt; }
.verify { position: absolute; right: 0; bottom: 0; width: 80mm; font-family: var(--sans); }
.verify img { display: block; width: 22mm; height: 22mm; margin: 0 0 1.5mm auto; }
.verify p { margin: 0; font-size: 7pt; text-align: right; color: #4b5563; overflow-wrap: break-word; }
"""

MODERN_HTML = """<div class="certificate">
  <div class="band"></div>
  <div class="content">
    <div class="top">{{{{ organization_logo }}}}<p class="organization">{{{{ organization_name }}}}</p></div>
    <p class="kicker">{kicker}</p>
    <h1 class="title">{{{{ title }}}}</h1>
    <p class="lead">{awarded_to}</p>
    <p class="name">{{{{ learner_name }}}}</p>
    <p class="meta">{completing}</p>
    <p class="meta">{{{{ valid_until_sentence }}}}</p>
    <div class="bottom">
      <div class="signatures">{{{{ signatories }}}}</div>
      <div class="verify">{{{{ qr_code }}}}<p>{number}<br>{verify}</p></div>
    </div>
  </div>
</div>
"""

MODERN_CSS = """/* Modern: a coloured band and sans-serif type. The box is one page; what cannot fit is clipped.
   Plain blocks and absolute positions: WeasyPrint lays them out fast (nested flex boxes cost it seconds). */
.certificate {
  /* An inline block is never split across pages: with its height and overflow, the certificate is one page. */
  display: inline-block;
  vertical-align: top;
  box-sizing: border-box;
  width: var(--page-width);
  height: var(--page-height);
  overflow: hidden;
  border-left: 16mm solid #1d4ed8;
  background: #ffffff;
  color: #111827;
  font-family: var(--sans);
}
.content {
  box-sizing: border-box;
  position: relative;
  height: 100%;
  border-left: 3mm solid #0f766e;
  padding: 14mm 18mm 0;
}
.top img { vertical-align: middle; margin-right: 4mm; }
.organization { display: inline; margin: 0; font-size: 12pt; font-weight: bold; color: #1d4ed8; }
.kicker { margin: 16mm 0 3mm; font-size: 12pt; letter-spacing: 0.3em; text-transform: uppercase; color: #0f766e; }
.title {
  margin: 0 0 10mm;
  max-height: 5.75em;
  overflow: hidden;
  font-size: 26pt;
  line-height: 1.15;
  overflow-wrap: break-word;
}
.lead { margin: 0; font-size: 12pt; color: #4b5563; }
.name {
  margin: 1mm 0 5mm;
  max-height: 4.6em;
  overflow: hidden;
  font-size: 28pt;
  font-weight: bold;
  line-height: 1.15;
  overflow-wrap: break-word;
}
.meta { margin: 1mm 0; font-size: 12pt; }
.meta:empty { display: none; }
.bottom {
  position: absolute;
  left: 18mm;
  right: 18mm;
  bottom: 8mm;
  height: 36mm;
  border-top: 0.4mm solid #e5e7eb;
}
.signatures { position: absolute; left: 0; right: 84mm; bottom: 0; font-size: 9pt; }
.signatures .signatories { text-align: left; }
.signatures .signatory { margin: 0 10mm 0 0; text-align: left; }
.verify { position: absolute; right: 0; bottom: 0; width: 80mm; }
.verify img { display: block; width: 22mm; height: 22mm; margin: 0 0 1.5mm auto; }
.verify p { margin: 0; font-size: 7pt; text-align: right; color: #4b5563; overflow-wrap: break-word; }
"""


def _words() -> dict[str, str]:
    """The designs' own words, in the active language, escaped (they go into HTML); placeholders inside them stay
    placeholders."""
    words = {
        "kicker": _("Certificate of completion"),
        "certify": _("This is to certify that"),
        "completed": _("has successfully completed the {{ kind }}"),
        "awarded": _("Awarded on {{ issued_on }}"),
        "awarded_to": _("Awarded to"),
        "completing": _("for completing the {{ kind }} on {{ issued_on }}."),
        "number": _("Certificate {{ certificate_id }}"),
        "verify": _("Verify at {{ verify_url }}"),
    }
    return {key: escape(value) for key, value in words.items()}


def designs() -> dict[str, tuple[str, Design]]:
    """{key: (name, design)} in the active language."""
    words = _words()
    return {
        "classic": (_("Classic"), Design("classic", CLASSIC_HTML.format(**words), CLASSIC_CSS)),
        "modern": (_("Modern"), Design("modern", MODERN_HTML.format(**words), MODERN_CSS)),
    }


def builtin_fields() -> TemplateFields:
    """The classic design, for a certificate whose template is gone and whose organisation has none."""
    name, design = designs()["classic"]
    return TemplateFields(html=design.html, css=design.css, page_size=PageSize.A4_LANDSCAPE, name=name)


def template_create_defaults(organization: Organization, by: User | None) -> list[Template]:
    """Add the ready-made designs to `organization` (those it does not have by name yet), in its language; the
    first becomes the default when the organisation has none. Returns the templates added.

    `by` None is the system (the demo); a person (an admin creating the first award) must hold
    `certificate.manage`.
    """
    from syllabus.certificates.services import templates as template_services

    if by is not None and not policy.can_manage(principal_for(by, organization)):
        raise PermissionDenied(NOT_ALLOWED)
    with translation.override(organization.default_language or "en"):
        made = designs()
    existing = set(Template.objects.filter(organization=organization).values_list("name", flat=True))
    added: list[Template] = []
    for name, design in made.values():
        if name in existing:
            continue
        added.append(
            template_services.template_create(
                organization=organization,
                by=by,
                data={
                    "name": name,
                    "description": "",
                    "html": design.html,
                    "css": design.css,
                    "page_size": PageSize.A4_LANDSCAPE,
                    "signatories": [],
                },
            )
        )
    if added and not Template.objects.filter(organization=organization, is_default=True).exists():
        template_services.template_set_default(template=added[0], by=by)
    return added
