"""The OpenAPI schema generates cleanly and the documentation page runs under the strict CSP."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db


def test_schema_validates_without_warnings(tmp_path):
    # --fail-on-warn turns every drf-spectacular warning (an untyped field, a name clash...) into a failure.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    schema = (tmp_path / "schema.yaml").read_text()
    assert "/api/v1/people/{id}/deactivate/" in schema
    assert "tokenAuth" in schema


def test_schema_is_served(client: Client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Syllabus API"


def test_docs_page_loads_only_same_origin_script_files(client: Client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
    assert scripts, "the page should load Swagger UI"
    for attributes, body in scripts:
        assert body.strip() == "", "no inline script: the CSP (script-src 'self') would block it"
        source = re.search(r'src="([^"]+)"', attributes)
        assert source is not None
        assert source.group(1).startswith("/"), source.group(1)
        assert not source.group(1).startswith("//")
    assert not re.search(r"\son[a-z]+=", html), "no inline event handlers"
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_docs_start_up_script_and_swagger_files_are_served(client: Client):
    page = client.get("/api/docs/").content.decode()
    init_url = re.search(r'<script src="(/api/docs/\?[^"]*)"', page).group(1).replace("&amp;", "&")
    init = client.get(init_url)
    assert init.status_code == 200
    assert init["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in init.content.decode()
    bundle = re.search(r'<script src="(/static/[^"]*swagger-ui-bundle\.js)"', page).group(1)
    assert bundle.startswith("/static/drf_spectacular_sidecar/")


def test_the_docs_page_inline_styles_are_allowed_by_hash_and_nothing_else_loosened(client: Client):
    response = client.get("/api/docs/")
    policy = response["Content-Security-Policy"]
    style_src = next(part for part in policy.split(";") if part.strip().startswith("style-src"))
    assert "unsafe-inline" not in policy
    for block in re.findall(r"<style>(.*?)</style>", response.content.decode(), flags=re.S):
        digest = base64.b64encode(hashlib.sha256(block.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in style_src


def test_other_pages_keep_the_strict_style_policy(client: Client):
    response = client.get("/api/schema/")
    assert "sha256" not in response["Content-Security-Policy"]
