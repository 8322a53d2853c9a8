"""Production mode refuses to start with development defaults (checked in a fresh interpreter each time)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD_SECRET = "a-production-secret-key-that-is-long-enough-0123456789-abcdef"


def import_settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    # A clean environment: nothing from the developer's shell (or CI's DATABASE_URL) may make a case pass by accident.
    environ = {"PATH": os.environ.get("PATH", ""), "SYLLABUS_VAR_DIR": str(tmp_path / "var"), **env}
    return subprocess.run(
        [sys.executable, "-c", "import syllabus.settings"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_starts_with_a_secret_key_hosts_and_debug_off(tmp_path):
    # The control case: without it, the refusals below could pass because the import breaks for another reason.
    result = import_settings(tmp_path, SYLLABUS_ENV="production", SECRET_KEY=GOOD_SECRET, ALLOWED_HOSTS="lms.example")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "SECRET_KEY: production needs its own secret key"),
        ({"SECRET_KEY": "dev-only-insecure-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz"}, "SECRET_KEY:"),
        ({"SECRET_KEY": "too-short"}, "SECRET_KEY: production needs its own secret key of at least 50 characters"),
        ({"SECRET_KEY": GOOD_SECRET, "DEBUG": "true"}, "DEBUG: must be off when SYLLABUS_ENV=production"),
        ({"SECRET_KEY": GOOD_SECRET, "ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS: production needs the host names"),
    ],
    ids=["no-secret-key", "default-secret-key", "short-secret-key", "debug-on", "no-allowed-hosts"],
)
def test_production_refuses_to_start_with_development_defaults(tmp_path, env, message):
    env = {"ALLOWED_HOSTS": "lms.example", **env}
    result = import_settings(tmp_path, SYLLABUS_ENV="production", **env)
    assert result.returncode != 0
    assert "ConfigError" in result.stderr
    assert message in result.stderr


def test_a_badly_typed_variable_stops_start_up_naming_it(tmp_path):
    result = import_settings(tmp_path, DB_CONN_MAX_AGE="forever")
    assert result.returncode != 0
    assert "DB_CONN_MAX_AGE: expected an integer, got 'forever'" in result.stderr


def test_the_secret_key_can_come_from_a_mounted_file(tmp_path):
    secret_file = tmp_path / "secret_key"
    secret_file.write_text(GOOD_SECRET + "\n", encoding="utf-8")
    result = import_settings(
        tmp_path, SYLLABUS_ENV="production", SECRET_KEY_FILE=str(secret_file), ALLOWED_HOSTS="lms.example"
    )
    assert result.returncode == 0, result.stderr


PRODUCTION_PROBE = """
import django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "syllabus.settings")
django.setup()
from django.conf import settings
from django.test import Client
secure = Client(HTTP_HOST="lms.example").get("/healthz", secure=True)
plain = Client(HTTP_HOST="lms.example").get("/healthz/")
print("HSTS", secure.headers.get("Strict-Transport-Security"))
print("COOKIES", settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE)
print("REDIRECT", plain.status_code, plain.headers.get("Location"))
"""


def test_production_sends_hsts_secure_cookies_and_redirects_to_https(tmp_path):
    environ = {
        "PATH": os.environ.get("PATH", ""),
        "SYLLABUS_VAR_DIR": str(tmp_path / "var"),
        "SYLLABUS_ENV": "production",
        "SECRET_KEY": GOOD_SECRET,
        "ALLOWED_HOSTS": "lms.example",
    }
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "HSTS max-age=31536000; includeSubDomains" in result.stdout
    assert "COOKIES True True" in result.stdout
    assert "REDIRECT 301 https://lms.example/healthz/" in result.stdout


def test_the_mail_server_is_configured_from_the_environment_with_a_password_file(tmp_path):
    password_file = tmp_path / "smtp_password"
    password_file.write_text("s3cret-smtp\n")
    code = (
        "from django.conf import settings; import django; django.setup(); "
        "print(settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD, "
        "settings.EMAIL_USE_TLS)"
    )
    environ = {
        "PATH": os.environ.get("PATH", ""),
        "SYLLABUS_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "syllabus.settings",
        "EMAIL_HOST": "smtp.example.org",
        "EMAIL_PORT": "587",
        "EMAIL_HOST_USER": "syllabus",
        "EMAIL_HOST_PASSWORD_FILE": str(password_file),
        "EMAIL_USE_TLS": "true",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["smtp.example.org", "587", "syllabus", "s3cret-smtp", "True"]


def test_tls_and_ssl_together_stop_start_up(tmp_path):
    result = import_settings(tmp_path, EMAIL_USE_TLS="true", EMAIL_USE_SSL="true")
    assert result.returncode != 0 and "EMAIL_USE_TLS and EMAIL_USE_SSL" in result.stderr
