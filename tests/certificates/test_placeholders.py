"""Placeholders and the checks of a template's HTML and CSS: a closed list, substituted once and escaped, with
every problem named by its line. Hostile values (scripts, quotes, placeholders inside a name) stay text."""

from __future__ import annotations

import re

import pytest
from django.utils.safestring import mark_safe
from hypothesis import given
from hypothesis import strategies as st

from syllabus.certificates import placeholders, rendering
from syllabus.certificates.placeholders import (
    TAG_NOT_SUPPORTED,
    UNCLOSED_PLACEHOLDER,
    UNKNOWN_PLACEHOLDER,
    problems,
    substitute,
)
from syllabus.certificates.rendering import (
    CSS_END_TAG,
    CSS_IMAGE_SET,
    CSS_IMPORT,
    CSS_URL,
    STYLE_URL,
    css_problems,
    html_problems,
    sanitize,
)

EXPECTED = {
    "learner_name",
    "title",
    "kind",
    "issued_on",
    "expires_on",
    "valid_until_sentence",
    "score",
    "version",
    "certificate_id",
    "verify_url",
    "qr_code",
    "organization_name",
    "organization_logo",
    "signatories",
}


def fill(html: str, **values: str) -> str:
    """What a certificate's body becomes: substituted, then sanitised."""
    return sanitize(substitute(html, values))


def test_the_list_is_closed_and_every_placeholder_is_described() -> None:
    assert placeholders.NAMES == EXPECTED
    assert {"qr_code", "organization_logo", "signatories"} == placeholders.MARKUP
    for placeholder in placeholders.PLACEHOLDERS:
        assert str(placeholder.description).strip()
        assert placeholder.token == "{{ " + placeholder.name + " }}"


def test_spaces_inside_the_braces_are_optional() -> None:
    assert substitute("{{title}}|{{ title }}|{{   title\t}}", {"title": "Fire safety"}) == (
        "Fire safety|Fire safety|Fire safety"
    )


def test_a_script_in_a_name_is_printed_not_run() -> None:
    out = fill("<p>{{ learner_name }}</p>", learner_name="<script>alert('x')</script> Bob")
    assert "<script" not in out
    assert "&lt;script&gt;" in out and "Bob" in out


def test_quotes_in_a_value_cannot_leave_an_attribute() -> None:
    out = fill('<p class="{{ learner_name }}">hi</p>', learner_name='x" onmouseover="alert(1)')
    assert "onmouseover=" not in out.replace("onmouseover=&quot;", "")
    assert re.fullmatch(r'<p class="[^"]*">hi</p>', out)


def test_a_placeholder_inside_a_value_is_never_expanded() -> None:
    values = {"learner_name": "{{ verify_url }} {{title}}", "verify_url": "https://x.test/v/1", "title": "T"}
    out = substitute("<p>{{ learner_name }}</p><p>{{ title }}</p>", values)
    assert out == "<p>{{ verify_url }} {{title}}</p><p>T</p>"
    assert "https://x.test" not in out


def test_markup_values_are_kept_and_text_values_escaped() -> None:
    out = substitute(
        "{{ qr_code }}{{ title }}", {"qr_code": mark_safe('<img src="data:image/svg+xml;base64,AA">'), "title": "<b>"}
    )
    assert out == '<img src="data:image/svg+xml;base64,AA">&lt;b&gt;'


def test_a_known_placeholder_without_a_value_is_empty_and_an_unknown_one_stays_as_written() -> None:
    assert substitute("[{{ score }}][{{ nope }}]", {}) == "[][{{ nope }}]"


def test_an_unknown_placeholder_is_named_with_its_line() -> None:
    html = "<h1>{{ title }}</h1>\n<p>Hello</p>\n<p>{{ first_name }} and {{ title }}</p>"
    assert problems(html) == [UNKNOWN_PLACEHOLDER.format(line=3, found="{{ first_name }}")]


@pytest.mark.parametrize(
    "written",
    [
        "{{ learner_name.upper }}",
        "{{ title|safe }}",
        "{{ request.user }}",
        "{{ settings.SECRET_KEY }}",
        "{{ learner name }}",
        "{{ }}",
    ],
)
def test_attribute_access_filters_and_other_names_are_refused(written: str) -> None:
    found = problems(f"<p>ok</p>\n<p>{written}</p>")
    assert found and found[0].startswith("Line 2: ")
    assert all("is not a placeholder" in message for message in found)


def test_template_tags_are_not_supported() -> None:
    assert problems("{% if score %}{{ score }}{% endif %}") == [
        TAG_NOT_SUPPORTED.format(line=1, found="{% if score %}"),
        TAG_NOT_SUPPORTED.format(line=1, found="{% endif %}"),
    ]


def test_an_unclosed_placeholder_is_named() -> None:
    assert problems("<p>\n{{ title </p>") == [UNCLOSED_PLACEHOLDER.format(line=2)]


def test_a_very_long_unknown_placeholder_is_cut_in_the_message() -> None:
    [message] = problems("{{ " + "x" * 500 + " }}")
    assert len(message) < 200 and message.endswith("is not a placeholder. Use one of the placeholders listed.")


def test_a_clean_template_has_no_problems() -> None:
    html = "\n".join("<p>{{ %s }}</p>" % name for name in sorted(EXPECTED))  # noqa: UP031
    assert html_problems(html) == []


# --- CSS ------------------------------------------------------------------------------------------------------------


def test_css_import_and_remote_urls_are_named_with_their_line() -> None:
    css = 'h1 { color: red; }\n@import "https://evil.test/x.css";\nbody { background: url(https://evil.test/b.png); }'
    assert css_problems(css) == [CSS_IMPORT.format(line=2), CSS_URL.format(line=3)]


@pytest.mark.parametrize(
    ("css", "message"),
    [
        ("a { background: URL( 'http://x.test/a.png' ) }", CSS_URL),
        ("a { background: url(/local.png) }", CSS_URL),
        ("a { background: url(//x.test/a.png) }", CSS_URL),
        ("a { background: \\75 rl(http://x.test/a.png) }", CSS_URL),  # an escaped "u"
        ("@im\\port 'x.css';", CSS_IMPORT),
        ("@font-face { font-family: X; src: url(https://x.test/f.woff2); }", CSS_URL),
        ("a { background: image-set('x.png' 1x) }", CSS_IMAGE_SET),
        ("a { content: '</style><script>alert(1)</script>' }", CSS_END_TAG),
    ],
)
def test_hostile_css_is_refused(css: str, message: str) -> None:
    assert message.format(line=1) in css_problems(css)


def test_data_uris_and_plain_css_are_fine_and_comments_keep_line_numbers() -> None:
    css = (
        "/* a comment\nover two lines */\n"
        ".logo { background: url(data:image/png;base64,iVBORw0KGgo=); }\n"
        "@page { margin: 0; }\nh1::before { content: '\\201C'; }\n"
        "@import 'x';"
    )
    assert css_problems(css) == [CSS_IMPORT.format(line=6)]


def test_a_style_attribute_that_fetches_is_named() -> None:
    html = '<p>ok</p>\n<div style="background: url(https://evil.test/track.png)">x</div>'
    assert html_problems(html) == [STYLE_URL.format(line=2)]


# --- sanitising -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        '<iframe src="https://evil.test"></iframe>',
        '<form action="https://evil.test"><input name="password"></form>',
        '<a href="javascript:alert(1)">click</a>',
        '<a href=" JaVaScRiPt:alert(1)">click</a>',
        '<object data="https://evil.test/x.swf"></object>',
        "<svg><script>alert(1)</script></svg>",
        '<p style="background: url(https://evil.test/t.png)">x</p>',
        '<link rel="stylesheet" href="https://evil.test/x.css">',
        '<meta http-equiv="refresh" content="0;url=https://evil.test">',
        '<base href="https://evil.test/">',
        '<img src="https://evil.test/track.png">',
        '<div onclick="alert(1)">x</div>',
        "<style>body { background: red }</style>",
    ],
)
def test_the_sanitiser_removes_whatever_could_run_or_fetch(hostile: str) -> None:
    out = sanitize(f"<p>before</p>{hostile}<p>after</p>")
    lowered = out.lower()
    for word in ("<script", "onerror", "onclick", "<iframe", "<form", "<input", "javascript:", "<object", "<svg"):
        assert word not in lowered
    for word in ("https://evil.test", "<style", "<link", "<meta", "<base"):
        assert word not in lowered
    assert out.startswith("<p>before</p>") and out.endswith("<p>after</p>")


def test_the_sanitiser_keeps_structure_classes_styles_links_and_data_images() -> None:
    html = (
        '<div class="certificate" style="color: #123456"><h1 id="t">Title</h1>'
        '<table><tr><td colspan="2">cell</td></tr></table>'
        '<a href="https://example.test/verify">verify</a>'
        '<img src="data:image/png;base64,iVBORw0KGgo=" alt="logo"></div>'
    )
    out = sanitize(html)
    assert 'class="certificate"' in out and 'style="color: #123456"' in out and 'id="t"' in out
    assert '<td colspan="2">cell</td>' in out
    assert 'href="https://example.test/verify"' in out
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in out


@given(st.text(max_size=200))
def test_no_name_whatever_it_holds_adds_a_tag(name: str) -> None:
    out = fill('<p class="name">{{ learner_name }}</p>', learner_name=name)
    assert re.findall(r"<\s*/?\s*([a-zA-Z][\w-]*)", out) == ["p", "p"]


@given(st.text(alphabet=st.sampled_from("{}% _abcdefgl\n<>\"'"), max_size=80))
def test_problems_never_fail_and_always_name_a_line(html: str) -> None:
    for message in rendering.html_problems(html):
        assert re.match(r"Line \d+: ", message)
