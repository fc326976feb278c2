import secrets
from pathlib import Path

import pytest

from app.config import PLACEHOLDER_AUTH_TOKEN, ConfigError, load_config

PRODUCTION = {
    "PHONELINE_ENV": "production",
    "DATABASE_URL": "postgresql+psycopg://line@db/line",
    "REDIS_URL": "redis://cache:6379/0",
    "TWILIO_ACCOUNT_SID": "AC" + "a" * 32,
    "TWILIO_AUTH_TOKEN": "5c1f0e7a9b3d4c2e8f6a1b0c9d7e3f21",
    "TWILIO_PHONE_NUMBER": "+14155550100",
    "PUBLIC_BASE_URL": "https://line.example.org",
    "SECRET_KEY": "8f3a1c9e0b7d4f2a6c5e9b1d3f7a0c8e2b4d6f9a1c3e5b7d9f0a2c4e6b8d1f3a",
}


def load(tmp_path: Path, **environ: str):
    return load_config(environ, tmp_path)


def test_defaults_are_the_documented_ones(tmp_path):
    config = load(tmp_path)
    assert str(config.quiet_hours) == "20:00-09:00"
    assert [str(o) for o in config.reminder_offsets] == ["1d", "2h"]
    assert config.public_base_url == "http://127.0.0.1:5000"
    assert config.database_url == f"sqlite:///{tmp_path / 'phoneline.db'}"
    assert config.uses_embedded_redis
    assert config.phone_number == "+15005550006"
    assert (config.sms_max_per_second, config.send_concurrency) == (1, 8)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("QUIET_HOURS", "8pm-9am"),
        ("QUIET_HOURS", "22:00-07:00"),
        ("QUIET_HOURS", "21:00-08:00x"),
        ("QUIET_HOURS", "09:00-20:00"),
        ("REMINDER_OFFSETS", "1w"),
        ("REMINDER_OFFSETS", "1d,1d"),
        ("REMINDER_OFFSETS", "1d,2h,3h,4h,5h"),
        ("CALLBACK_ESCALATE", "30s"),
        ("RETENTION_MESSAGES", "0d"),
        ("SMS_MAX_PER_SECOND", "-1"),
        ("SEND_CONCURRENCY", "0"),
        ("LINE_TIMEZONE", "Mars/Olympus"),
        ("PUBLIC_BASE_URL", "https://line.example.org/"),
        ("PUBLIC_BASE_URL", "line.example.org"),
        ("TWILIO_PHONE_NUMBER", "not a number"),
        ("PHONELINE_ENV", "staging"),
        ("TWILIO_LOOKUP", "yes"),
        ("DEFAULT_REGION", "XX"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(tmp_path, name, value):
    with pytest.raises(ConfigError, match=f"^{name}:"):
        load(tmp_path, **{name: value})


def test_quiet_hours_may_wrap_midnight_and_be_wider_than_the_minimum(tmp_path):
    config = load(tmp_path, QUIET_HOURS="19:30-09:15")
    assert config.quiet_hours.covers(*(config.quiet_hours.start, config.quiet_hours.end))
    assert str(config.quiet_hours) == "19:30-09:15"


def test_a_complete_production_environment_loads(tmp_path):
    config = load(tmp_path, **PRODUCTION)
    assert config.is_production


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", "sqlite:///line.db"),
        ("REDIS_URL", ""),
        ("TWILIO_AUTH_TOKEN", ""),
        ("TWILIO_ACCOUNT_SID", ""),
        ("PUBLIC_BASE_URL", "http://line.example.org"),
        ("SMS_MAX_PER_SECOND", "0"),
        ("CALLS_MAX_PER_SECOND", "0"),
        ("TWILIO_API_BASE_URL", "http://127.0.0.1:9000"),
        ("SECRET_KEY", ""),
    ],
)
def test_production_refuses_development_shortcuts(tmp_path, name, value):
    with pytest.raises(ConfigError, match=f"^{name}:"):
        load(tmp_path, **{**PRODUCTION, name: value})


@pytest.mark.parametrize(
    "key",
    [
        "x",
        "k" * 64,
        "ab" * 40,
        "bench-secret-" + "5" * 40,
        "our-phone-line-secret",
        "0f1e2d3c4b5a69788796a5b4c3d2e1f0",  # 16 bytes written as hex: half the strength
    ],
)
def test_production_refuses_a_secret_key_that_is_not_32_random_bytes(tmp_path, key):
    with pytest.raises(ConfigError, match=r"^SECRET_KEY: refused in production: give at least 32"):
        load(tmp_path, **{**PRODUCTION, "SECRET_KEY": key})


@pytest.mark.parametrize("key", [secrets.token_hex(32), secrets.token_urlsafe(32)])
def test_production_accepts_a_generated_secret_key(tmp_path, key):
    assert load(tmp_path, **{**PRODUCTION, "SECRET_KEY": key}).secret_key == key


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TWILIO_AUTH_TOKEN", PLACEHOLDER_AUTH_TOKEN),
        ("TWILIO_AUTH_TOKEN", "a"),
        ("TWILIO_AUTH_TOKEN_SECONDARY", PLACEHOLDER_AUTH_TOKEN),
        ("TWILIO_AUTH_TOKEN_SECONDARY", "short"),
    ],
)
def test_production_refuses_the_public_development_token_or_a_short_one(tmp_path, name, value):
    with pytest.raises(ConfigError, match=f"^{name}: refused in production"):
        load(tmp_path, **{**PRODUCTION, name: value})


def test_production_refuses_a_secret_key_equal_to_an_auth_token(tmp_path):
    token = secrets.token_hex(32)
    environ = {**PRODUCTION, "TWILIO_AUTH_TOKEN_SECONDARY": token, "SECRET_KEY": token}
    with pytest.raises(ConfigError, match=r"^SECRET_KEY: refused in production: must differ"):
        load(tmp_path, **environ)


def test_the_development_secret_key_is_generated_once_and_kept(tmp_path):
    first = load(tmp_path).secret_key
    assert load(tmp_path).secret_key == first
    assert len(first) == 64
