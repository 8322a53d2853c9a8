"""Rich text: the sanitiser's allowlist, plain text for search, the form field and the image upload endpoint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from syllabus.catalog import richtext
from syllabus.catalog.models import Course, CourseAsset
from syllabus.catalog.richtext import RichTextField, html_to_text, sanitize_html
from tests.catalog.kinds.builders import upload
from tests.conftest import World
from tests.factories import CourseFactory, staff


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def asset_src(course_id: int, asset_id: int = 5, name: str = "map.png") -> str:
    return reverse("catalog:asset", kwargs={"pk": course_id, "asset_id": asset_id, "name": name})


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
        '<a href="JaVaScRiPt:alert(1)">x</a>',
        '<a href="data:text/html,<script>alert(1)</script>">x</a>',
        "<iframe src='https://evil.example'></iframe>",
        "<svg><script>alert(1)</script></svg>",
        '<p style="background:url(javascript:alert(1))" onclick="alert(1)">x</p>',
        "<style>body{display:none}</style>",
        "<object data='x.swf'></object><embed src='x.swf'>",
        '<form action="https://evil.example"><input name=password></form>',
        "<math><mtext><script>alert(1)</script></mtext></math>",
        "<template><script>alert(1)</script></template>",
        '<base href="https://evil.example/">',
        '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    ],
)
def test_scripts_event_handlers_and_dangerous_urls_are_stripped(hostile: str) -> None:
    cleaned = sanitize_html(hostile).lower()
    for marker in ("<script", "onerror", "onclick", "javascript:", "<iframe", "<svg", "style", "<object", "<embed",
                   "<form", "<input", "data:", "<base", "<meta", "alert(1)"):  # fmt: skip
        assert marker not in cleaned


def test_the_allowlist_keeps_structure_and_formatting() -> None:
    html = (
        "<h2>Title</h2><h3>Sub</h3><p><strong>b</strong> <em>i</em> <u>u</u> <s>s</s> <del>d</del></p>"
        '<ul><li>one</li></ul><ol start="3"><li>three</li></ol><blockquote>q</blockquote>'
        '<pre><code>x = 1</code></pre><table><caption>c</caption><thead><tr><th scope="col">h</th></tr></thead>'
        '<tbody><tr><td colspan="2">d</td></tr></tbody></table><figure><figcaption>f</figcaption></figure>'
    )
    assert sanitize_html(html) == html


def test_links_keep_http_https_and_mailto_and_get_noopener() -> None:
    cleaned = sanitize_html(
        '<a href="https://example.org" target="_blank">a</a> <a href="mailto:help@example.org">b</a>'
        ' <a href="ftp://example.org">c</a>'
    )
    assert '<a href="https://example.org" rel="noopener noreferrer">a</a>' in cleaned
    assert '<a href="mailto:help@example.org" rel="noopener noreferrer">b</a>' in cleaned
    assert 'href="ftp' not in cleaned


def test_h1_is_kept_for_the_page_title_only_its_text_stays() -> None:
    assert sanitize_html("<h1>Big</h1>") == "Big"


def test_classes_ids_and_styles_are_removed() -> None:
    assert sanitize_html('<p class="x" id="y" style="color:red">t</p>') == "<p>t</p>"


def test_images_are_kept_only_when_they_show_an_asset_of_this_course() -> None:
    own = asset_src(7)
    html = (
        f'<img src="{own}" alt="Map" width="640" height="ten">'
        f'<img src="{asset_src(8)}">'
        '<img src="https://evil.example/track.png"><img src="data:image/png;base64,AAAA">'
        '<img src="//evil.example/x.png">'
    )
    assert sanitize_html(html, course_id=7) == f'<img src="{own}" alt="Map" width="640">'
    assert sanitize_html(html) == ""


def test_an_image_without_a_text_alternative_gets_an_empty_one() -> None:
    src = asset_src(7)
    assert sanitize_html(f'<figure><img src="{src}"><figcaption>Exits</figcaption></figure>', course_id=7) == (
        f'<figure><img alt="" src="{src}"><figcaption>Exits</figcaption></figure>'
    )


def test_sanitising_twice_changes_nothing_more() -> None:
    once = sanitize_html('<p onclick="x">a <a href="https://e.org">b</a><script>c</script></p>')
    assert sanitize_html(once) == once


@given(st.text(max_size=300))
def test_no_input_ever_produces_a_script_tag(text: str) -> None:
    cleaned = sanitize_html(text + "<script>x</script>")
    assert "<script" not in cleaned.lower()


def test_plain_text_keeps_words_and_breaks_between_blocks() -> None:
    html = (
        "<h2>Exits</h2><p>Know&nbsp;your <strong>exits</strong>.</p><ul><li>One</li><li>Two</li></ul>"
        "<script>no</script>"
    )
    assert html_to_text(html) == "Exits\nKnow your exits.\nOne\nTwo"
    assert html_to_text("") == ""


def test_asset_ids_in_a_body_are_found_in_order_once() -> None:
    html = f'<img src="{asset_src(3, 9)}"><p>x</p><img src="{asset_src(3, 4)}"><img src="{asset_src(3, 9)}">'
    assert richtext.asset_ids_in(html, course_id=3) == [9, 4]
    assert richtext.asset_ids_in(html, course_id=4) == []
    assert richtext.asset_ids_in(html) == [9, 4]


def test_a_copied_body_points_at_the_copies_of_its_images() -> None:
    html = f'<p>x</p><img src="{asset_src(3, 9, "a.png")}" alt="A"><img src="{asset_src(3, 4)}">'
    copied = richtext.rewrite_asset_urls(html, asset_map={9: 19}, course_ids={19: 30})
    assert copied == f'<p>x</p><img src="{asset_src(30, 19, "a.png")}" alt="A">'


def test_the_form_field_cleans_to_sanitised_html_and_keeps_this_courses_images() -> None:
    field = RichTextField(required=False)
    field.set_course(12)
    cleaned = field.clean(f'<p onclick="x">Hi</p><img src="{asset_src(12)}"><img src="{asset_src(13)}">')
    assert cleaned == f'<p>Hi</p><img alt="" src="{asset_src(12)}">'
    assert field.widget.upload_url == reverse("catalog:richtext-upload", args=[12])  # type: ignore[attr-defined]


def test_the_widget_renders_a_textarea_the_editor_replaces_without_a_required_attribute() -> None:
    field = RichTextField(required=True)
    field.set_course(12)
    html = field.widget.render("body", "<p>x</p>", attrs={"id": "id_body", "aria-describedby": "id_body_helptext"})
    assert 'name="body"' in html and "data-richtext-source" in html and " required" not in html
    assert 'input="id_body"' in html and 'toolbar="id_body_toolbar"' in html
    assert 'aria-describedby="id_body_helptext"' in html.split("<trix-editor", 1)[1]
    assert f'data-upload-url="{reverse("catalog:richtext-upload", args=[12])}"' in html
    media = str(field.widget.media)
    assert media.index("catalog/richtext.js") < media.index("vendor/trix/trix.umd.min.js")


# --- the upload endpoint -------------------------------------------------------------------------------------


@pytest.fixture
def course(world: World) -> Course:
    made = CourseFactory(organization=world.org)
    staff(made, world.instructor, "owner")
    return made


def post_image(client: Client, course: Course, name: str = "pixel.png") -> tuple[int, dict[str, object]]:
    response = client.post(reverse("catalog:richtext-upload", args=[course.pk]), {"file": upload(name)})
    return response.status_code, json.loads(response.content)


def test_an_editor_uploads_an_image_and_gets_its_url(client: Client, world: World, course: Course) -> None:
    client.force_login(world.instructor.user)
    status, body = post_image(client, course)
    assert status == 201
    asset = CourseAsset.objects.get(pk=body["id"])
    assert asset.purpose == CourseAsset.Purpose.IMAGE and asset.course == course
    assert body["url"] == asset_src(course.pk, asset.pk, asset.original_name)
    assert sanitize_html(f'<img src="{body["url"]}">', course_id=course.pk) != ""


def test_a_refused_image_is_answered_with_the_reason(client: Client, world: World, course: Course) -> None:
    client.force_login(world.instructor.user)
    status, body = post_image(client, course, "script.svg")
    assert status == 400
    assert "SVG" in str(body["error"])
    assert not CourseAsset.objects.exists()


def test_a_non_editing_member_of_the_team_cannot_upload(client: Client, world: World, course: Course) -> None:
    staff(course, world.engineer, "instructor")
    client.force_login(world.engineer.user)
    assert post_image(client, course)[0] == 403


@pytest.mark.parametrize("persona", ["learner", "outsider"])
def test_people_outside_the_course_team_get_404(client: Client, world: World, course: Course, persona: str) -> None:
    client.force_login(getattr(world, persona).user)
    assert (
        client.post(reverse("catalog:richtext-upload", args=[course.pk]), {"file": upload("pixel.png")}).status_code
        == 404
    )
    assert not CourseAsset.objects.exists()
