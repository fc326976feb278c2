"""The environment, parsed once and strictly (SPEC §3).

Every variable is read here and nowhere else. A bad value raises ``ConfigError`` naming the
variable, so a deployment fails at start-up instead of at 21:00 when the first reminder is due.
"""

from __future__ import annotations

import math
import re
import secrets
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers

PLACEHOLDER_ACCOUNT_SID = "AC" + "0" * 32
PLACEHOLDER_AUTH_TOKEN = "dev-auth-token-not-secret"  # noqa: S105 - a documented placeholder
DEV_PHONE_NUMBER = "+15005550006"
TWILIO_API = "https://api.twilio.com"
DEFAULT_PORT = 5000
# SECRET_KEY keys the consent ledger's hashes, recording encryption, playback links and console
# sessions: 32 random bytes, e.g. ``python -c 'import secrets; print(secrets.token_hex(32))'``
# (see ``secret_bits`` for how that is told from a typed value).
MIN_SECRET_BITS = 170
# Twilio's auth tokens are 32 hex characters; anything shorter is a placeholder or a typo.
MIN_AUTH_TOKEN = 32

_DURATION = re.compile(r"^\s*(\d+)\s*([mhd])\s*$")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class ConfigError(ValueError):
    """A configuration value that cannot be used; the message names the variable."""


@dataclass(frozen=True)
class Duration:
    """``<n>m`` and ``<n>h`` are elapsed time; ``<n>d`` means the same local clock time n days
    away, which only the caller that knows the zone can apply (see ``app.timeutil``)."""

    amount: int
    unit: str  # "m", "h" or "d"

    @property
    def elapsed(self) -> timedelta:
        return {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}[
            self.unit
        ] * self.amount

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time

    def contains(self, clock: time) -> bool:
        if self.start <= self.end:
            return self.start <= clock < self.end
        return clock >= self.start or clock < self.end

    def covers(self, start: time, end: time) -> bool:
        """True when every minute of [start, end) lies inside the window."""
        minute = _minutes(start)
        while minute != _minutes(end):
            if not self.contains(time(minute // 60, minute % 60)):
                return False
            minute = (minute + 1) % (24 * 60)
        return True

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def _minutes(clock: time) -> int:
    return clock.hour * 60 + clock.minute


@dataclass(frozen=True)
class Config:
    env: str
    instance_path: Path
    database_url: str
    redis_url: str | None
    account_sid: str
    auth_token: str
    auth_token_secondary: str | None
    api_key_sid: str | None
    api_key_secret: str | None
    phone_number: str
    messaging_service_sid: str | None
    twilio_api_base_url: str
    public_base_url: str
    line_name: str
    line_timezone: ZoneInfo
    sms_max_per_second: float
    calls_max_per_second: float
    send_concurrency: int
    quiet_hours: QuietHours
    reminder_offsets: tuple[Duration, ...]
    callback_escalate_urgent: Duration
    callback_escalate: Duration
    retention_recordings: Duration
    retention_messages: Duration
    retention_inactive_member: Duration
    default_region: str
    twilio_lookup: bool
    secret_key: str
    port: int = DEFAULT_PORT
    trusted_proxies: int = 0
    extras: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def uses_placeholder_credentials(self) -> bool:
        return self.account_sid == PLACEHOLDER_ACCOUNT_SID or (
            self.auth_token == PLACEHOLDER_AUTH_TOKEN
        )

    @property
    def uses_embedded_redis(self) -> bool:
        return self.redis_url is None

    @property
    def signing_tokens(self) -> tuple[str, ...]:
        if self.auth_token_secondary:
            return (self.auth_token, self.auth_token_secondary)
        return (self.auth_token,)

    @property
    def database_path(self) -> Path | None:
        """The SQLite file, when the database is one."""
        if not self.database_url.startswith("sqlite"):
            return None
        return Path(self.database_url.split(":///", 1)[1])


def load_config(environ: Mapping[str, str], instance_path: Path, port: int | None = None) -> Config:
    """Turn the environment into a ``Config``, or raise ``ConfigError`` naming the variable."""
    env = _choice(environ, "PHONELINE_ENV", ("development", "production"), "development")
    port = port or _int(environ, "PHONELINE_PORT", DEFAULT_PORT, minimum=1)
    account_sid = environ.get("TWILIO_ACCOUNT_SID") or PLACEHOLDER_ACCOUNT_SID
    auth_token = environ.get("TWILIO_AUTH_TOKEN") or PLACEHOLDER_AUTH_TOKEN
    config = Config(
        env=env,
        instance_path=instance_path,
        database_url=environ.get("DATABASE_URL") or f"sqlite:///{instance_path / 'phoneline.db'}",
        redis_url=environ.get("REDIS_URL") or None,
        account_sid=account_sid,
        auth_token=auth_token,
        auth_token_secondary=environ.get("TWILIO_AUTH_TOKEN_SECONDARY") or None,
        api_key_sid=environ.get("TWILIO_API_KEY_SID") or None,
        api_key_secret=environ.get("TWILIO_API_KEY_SECRET") or None,
        phone_number=_phone(environ, "TWILIO_PHONE_NUMBER", DEV_PHONE_NUMBER),
        messaging_service_sid=environ.get("TWILIO_MESSAGING_SERVICE_SID") or None,
        twilio_api_base_url=_origin(environ, "TWILIO_API_BASE_URL", TWILIO_API),
        public_base_url=_origin(environ, "PUBLIC_BASE_URL", f"http://127.0.0.1:{port}"),
        line_name=_line_name(environ),
        line_timezone=_zone(environ, "LINE_TIMEZONE", "America/New_York"),
        sms_max_per_second=_rate(environ, "SMS_MAX_PER_SECOND"),
        calls_max_per_second=_rate(environ, "CALLS_MAX_PER_SECOND"),
        send_concurrency=_int(environ, "SEND_CONCURRENCY", 8, minimum=1),
        quiet_hours=_quiet_hours(environ),
        reminder_offsets=_offsets(environ),
        callback_escalate_urgent=_duration(environ, "CALLBACK_ESCALATE_URGENT", "30m"),
        callback_escalate=_duration(environ, "CALLBACK_ESCALATE", "4h"),
        retention_recordings=_duration(environ, "RETENTION_RECORDINGS", "7d"),
        retention_messages=_duration(environ, "RETENTION_MESSAGES", "90d"),
        retention_inactive_member=_duration(environ, "RETENTION_INACTIVE_MEMBER", "365d"),
        default_region=_region(environ),
        twilio_lookup=_flag(environ, "TWILIO_LOOKUP"),
        secret_key=environ.get("SECRET_KEY") or _instance_secret(instance_path, env),
        port=port,
        trusted_proxies=_int(environ, "TRUSTED_PROXIES", 0, minimum=0),
    )
    if config.is_production:
        _refuse_unsafe_production(config, environ)
    return config


def parse_duration(value: str, name: str) -> Duration:
    match = _DURATION.match(value)
    if not match:
        raise ConfigError(f"{name}: {value!r} is not a duration; write <n>m, <n>h or <n>d")
    amount = int(match.group(1))
    if amount <= 0:
        raise ConfigError(f"{name}: {value!r} must be longer than zero")
    return Duration(amount, match.group(2))


def _duration(environ: Mapping[str, str], name: str, default: str) -> Duration:
    return parse_duration(environ.get(name) or default, name)


def _offsets(environ: Mapping[str, str]) -> tuple[Duration, ...]:
    name = "REMINDER_OFFSETS"
    raw = environ.get(name) or "1d,2h"
    offsets = tuple(parse_duration(part, name) for part in raw.split(","))
    if not 1 <= len(offsets) <= 4:
        raise ConfigError(f"{name}: give 1 to 4 durations, not {len(offsets)}")
    if len(set(offsets)) != len(offsets):
        raise ConfigError(f"{name}: {raw!r} repeats a duration")
    return offsets


def _quiet_hours(environ: Mapping[str, str]) -> QuietHours:
    name = "QUIET_HOURS"
    raw = (environ.get(name) or "20:00-09:00").strip()
    parts = raw.split("-")
    if len(parts) != 2 or not all(_CLOCK.match(p.strip()) for p in parts):
        raise ConfigError(f"{name}: {raw!r} is not HH:MM-HH:MM (24-hour), e.g. 20:00-09:00")
    start, end = (time.fromisoformat(p.strip()) for p in parts)
    if start == end:
        raise ConfigError(f"{name}: {raw!r} is an empty window")
    window = QuietHours(start, end)
    if not window.covers(time(21, 0), time(8, 0)):
        raise ConfigError(f"{name}: {raw!r} must cover 21:00-08:00 (no automated sends at night)")
    return window


def _rate(environ: Mapping[str, str], name: str) -> float:
    raw = environ.get(name) or "1"
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}: {raw!r} is not a number") from None
    if value < 0 or value != value:  # NaN is not a rate
        raise ConfigError(f"{name}: {raw!r} must be a positive number, or 0 for no cap")
    return value


def _int(environ: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = environ.get(name) or str(default)
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}: {raw!r} is not a whole number") from None
    if value < minimum:
        raise ConfigError(f"{name}: {raw!r} must be at least {minimum}")
    return value


def _choice(environ: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = environ.get(name) or default
    if value not in allowed:
        raise ConfigError(f"{name}: {value!r} is not one of {', '.join(allowed)}")
    return value


def _flag(environ: Mapping[str, str], name: str) -> bool:
    value = environ.get(name) or "0"
    if value not in ("0", "1"):
        raise ConfigError(f"{name}: {value!r} must be 0 or 1")
    return value == "1"


def _zone(environ: Mapping[str, str], name: str, default: str) -> ZoneInfo:
    value = environ.get(name) or default
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{name}: {value!r} is not an IANA time zone") from None


def _phone(environ: Mapping[str, str], name: str, default: str) -> str:
    value = environ.get(name) or default
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise ConfigError(f"{name}: write the line's number in E.164, like +14155550100") from None
    if not phonenumbers.is_possible_number(parsed):
        raise ConfigError(f"{name}: not a possible phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _region(environ: Mapping[str, str]) -> str:
    value = (environ.get("DEFAULT_REGION") or "US").upper()
    if value not in phonenumbers.SUPPORTED_REGIONS:
        raise ConfigError(f"DEFAULT_REGION: {value!r} is not a region phonenumbers knows")
    return value


def _origin(environ: Mapping[str, str], name: str, default: str) -> str:
    value = environ.get(name) or default
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name}: {value!r} must be scheme://host[:port]")
    if parts.path or parts.query or parts.fragment or value.endswith("/"):
        raise ConfigError(f"{name}: {value!r} must have no path and no trailing slash")
    return value


def _line_name(environ: Mapping[str, str]) -> str:
    value = (environ.get("LINE_NAME") or "Community Support Line").strip()
    if not value or len(value) > 40:
        raise ConfigError("LINE_NAME: give a name of 1 to 40 characters")
    return value


def _instance_secret(instance_path: Path, env: str) -> str:
    if env == "production":
        raise ConfigError("SECRET_KEY: set a long random value in production")
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def _refuse_unsafe_production(config: Config, environ: Mapping[str, str]) -> None:
    checks = [
        ("DATABASE_URL", config.database_url.startswith("sqlite"), "SQLite is for development"),
        ("REDIS_URL", config.uses_embedded_redis, "set it; the embedded Redis is for development"),
        (
            "TWILIO_ACCOUNT_SID",
            config.account_sid == PLACEHOLDER_ACCOUNT_SID,
            "set the real Account SID",
        ),
        (
            "TWILIO_AUTH_TOKEN",
            _weak_token(config.auth_token),
            "set the real auth token (32 characters, from the Twilio console)",
        ),
        (
            "TWILIO_AUTH_TOKEN_SECONDARY",
            config.auth_token_secondary is not None and _weak_token(config.auth_token_secondary),
            "the documented development token or a short value: anyone could sign webhooks",
        ),
        (
            "SECRET_KEY",
            secret_bits(config.secret_key) < MIN_SECRET_BITS,
            "give at least 32 random bytes, e.g. the output of "
            "python -c 'import secrets; print(secrets.token_hex(32))'",
        ),
        (
            "SECRET_KEY",
            config.secret_key in config.signing_tokens,
            "must differ from the Twilio auth tokens",
        ),
        (
            "PUBLIC_BASE_URL",
            not config.public_base_url.startswith("https://") or "PUBLIC_BASE_URL" not in environ,
            "set the https origin Twilio calls",
        ),
        ("SMS_MAX_PER_SECOND", config.sms_max_per_second == 0, "set a cap; 0 means none"),
        ("CALLS_MAX_PER_SECOND", config.calls_max_per_second == 0, "set a cap; 0 means none"),
        (
            "TWILIO_API_BASE_URL",
            config.twilio_api_base_url != TWILIO_API,
            f"production talks to {TWILIO_API} only",
        ),
        (
            "TWILIO_PHONE_NUMBER",
            "TWILIO_PHONE_NUMBER" not in environ,
            "set the line's own number",
        ),
    ]
    for name, bad, why in checks:
        if bad:
            raise ConfigError(f"{name}: refused in production: {why}")


def _weak_token(token: str) -> bool:
    return token == PLACEHOLDER_AUTH_TOKEN or len(token.strip()) < MIN_AUTH_TOKEN


def secret_bits(value: str) -> float:
    """An estimate of the randomness a secret holds: its length times the Shannon entropy of its
    own characters. It cannot prove randomness; it tells a generated key from a typed, short or
    repeated one. 32 random bytes written by ``secrets.token_hex(32)`` or ``token_urlsafe(32)``
    always clear ``MIN_SECRET_BITS`` (at least 180 in 100,000 draws); 16 bytes never do (at
    most 128), nor do "kkkk…" (0) or "bench-secret-5555…" (82)."""
    value = value.strip()
    counts = Counter(value)
    return -sum(n * math.log2(n / len(value)) for n in counts.values())
