"""Typed environment readers: good values parse, bad values fail at start-up naming the variable."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syllabus.core.env import (
    ConfigError,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_str,
    redis_database_for_worker,
)


@pytest.mark.parametrize("raw", ["1", "true", "True", "YES", "on", " yes "])
def test_env_bool_reads_true_values(raw):
    assert env_bool("FEATURE", False, environ={"FEATURE": raw}) is True


@pytest.mark.parametrize("raw", ["0", "false", "FALSE", "no", "off", ""])
def test_env_bool_reads_false_values(raw):
    assert env_bool("FEATURE", True, environ={"FEATURE": raw}) is False


def test_env_bool_falls_back_to_the_default_when_unset():
    assert env_bool("FEATURE", True, environ={}) is True
    assert env_bool("FEATURE", False, environ={}) is False


@pytest.mark.parametrize("raw", ["maybe", "2", "enabled", "tru"])
def test_env_bool_rejects_anything_else_naming_the_variable(raw):
    with pytest.raises(ConfigError, match=r"^DEBUG: expected one of 1/0, true/false"):
        env_bool("DEBUG", False, environ={"DEBUG": raw})


def test_env_int_reads_integers_and_uses_the_default_for_blank():
    assert env_int("WORKERS", 4, environ={"WORKERS": " 12 "}) == 12
    assert env_int("WORKERS", 4, environ={"WORKERS": ""}) == 4
    assert env_int("WORKERS", 4, environ={}) == 4


@pytest.mark.parametrize("raw", ["twelve", "1.5", "12abc", "0x10"])
def test_env_int_rejects_non_integers_naming_the_variable(raw):
    with pytest.raises(ConfigError, match=r"^WORKERS: expected an integer"):
        env_int("WORKERS", 4, environ={"WORKERS": raw})


def test_env_int_enforces_its_bounds_naming_the_variable():
    with pytest.raises(ConfigError, match=r"^SESSION_COOKIE_AGE: must be at least 60, got 5$"):
        env_int("SESSION_COOKIE_AGE", 3600, minimum=60, environ={"SESSION_COOKIE_AGE": "5"})
    with pytest.raises(ConfigError, match=r"^PAGE_SIZE: must be at most 500, got 501$"):
        env_int("PAGE_SIZE", 50, maximum=500, environ={"PAGE_SIZE": "501"})


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_env_int_reads_back_any_integer_it_is_given(number):
    assert env_int("N", 0, environ={"N": str(number)}) == number


def test_env_list_splits_on_commas_and_drops_blanks():
    assert env_list("ALLOWED_HOSTS", environ={"ALLOWED_HOSTS": "a.example, b.example,, ,c.example"}) == [
        "a.example",
        "b.example",
        "c.example",
    ]
    assert env_list("ALLOWED_HOSTS", environ={"ALLOWED_HOSTS": ""}) == []


def test_env_list_returns_a_copy_of_the_default():
    default = ["localhost"]
    value = env_list("ALLOWED_HOSTS", default, environ={})
    value.append("evil.example")
    assert default == ["localhost"]


def test_env_choice_is_case_insensitive_and_rejects_unknown_values_naming_them():
    assert (
        env_choice("SYLLABUS_ENV", "development", ("development", "production"), environ={"SYLLABUS_ENV": "PRODUCTION"})
        == "production"
    )
    with pytest.raises(ConfigError, match=r"^SYLLABUS_ENV: expected one of development, production; got 'prod'$"):
        env_choice("SYLLABUS_ENV", "development", ("development", "production"), environ={"SYLLABUS_ENV": "prod"})


def test_env_str_returns_the_value_or_the_default():
    assert env_str("SECRET_KEY", "fallback", environ={"SECRET_KEY": "s3cret"}) == "s3cret"
    assert env_str("SECRET_KEY", "fallback", environ={}) == "fallback"
    # Set but empty is a value, not "unset".
    assert env_str("SECRET_KEY", "fallback", environ={"SECRET_KEY": ""}) == ""


def test_name_file_reads_a_mounted_secret_without_its_trailing_newline(tmp_path):
    secret = tmp_path / "secret_key"
    secret.write_text("from-a-file\n", encoding="utf-8")
    assert env_str("SECRET_KEY", environ={"SECRET_KEY_FILE": str(secret)}) == "from-a-file"


def test_name_file_wins_over_the_plain_variable(tmp_path):
    secret = tmp_path / "secret_key"
    secret.write_text("from-a-file", encoding="utf-8")
    environ = {"SECRET_KEY": "from-the-environment", "SECRET_KEY_FILE": str(secret)}
    assert env_str("SECRET_KEY", environ=environ) == "from-a-file"


def test_name_file_values_are_typed_like_any_other(tmp_path):
    (tmp_path / "debug").write_text("off\n", encoding="utf-8")
    (tmp_path / "workers").write_text("8\n", encoding="utf-8")
    (tmp_path / "bad").write_text("eight\n", encoding="utf-8")
    assert env_bool("DEBUG", True, environ={"DEBUG_FILE": str(tmp_path / "debug")}) is False
    assert env_int("WORKERS", 1, environ={"WORKERS_FILE": str(tmp_path / "workers")}) == 8
    with pytest.raises(ConfigError, match=r"^WORKERS: expected an integer"):
        env_int("WORKERS", 1, environ={"WORKERS_FILE": str(tmp_path / "bad")})


def test_an_unreadable_name_file_fails_naming_the_file_variable(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(ConfigError, match=r"^DATABASE_URL_FILE: cannot read .*nowhere"):
        env_str("DATABASE_URL", environ={"DATABASE_URL_FILE": str(missing)})


def test_the_process_environment_is_read_when_no_mapping_is_given(monkeypatch):
    monkeypatch.setenv("SYLLABUS_TEST_FLAG", "yes")
    assert env_bool("SYLLABUS_TEST_FLAG") is True


def test_each_parallel_test_worker_gets_a_redis_database_of_its_own():
    # A test's cache.clear() is a FLUSHDB: two workers sharing a database would wipe each other's cache.
    assert redis_database_for_worker("redis://127.0.0.1:6379/15", "gw0") == "redis://127.0.0.1:6379/15"
    assert redis_database_for_worker("redis://127.0.0.1:6379/15", "gw1") == "redis://127.0.0.1:6379/14"
    assert redis_database_for_worker("redis://:secret@127.0.0.1:6379", "gw1") == "redis://:secret@127.0.0.1:6379/15"
    assert redis_database_for_worker("redis://127.0.0.1:6379/0", "master") == "redis://127.0.0.1:6379/0"
