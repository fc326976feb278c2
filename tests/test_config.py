from pathlib import Path

import pytest

from app.config import ConfigError, load_config

PRODUCTION = {
    "PHONELINE_ENV": "production",
    "DATABASE_URL": "postgresql+psycopg://line@db/line",
    "REDIS_URL": "redis://cache:6379/0",
    "TWILIO_ACCOUNT_SID": "AC" + "a" * 32,
    "TWILIO_AUTH_TOKEN": "a-real-token",
    "TWILIO_PHONE_NUMBER": "+14155550100",
    "PUBLIC_BASE_URL": "https://line.example.org",
    "SECRET_KEY": "k" * 64,
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


def test_the_development_secret_key_is_generated_once_and_kept(tmp_path):
    first = load(tmp_path).secret_key
    assert load(tmp_path).secret_key == first
    assert len(first) == 64
