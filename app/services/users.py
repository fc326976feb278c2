"""Console accounts (SPEC §4 ``phoneline users …``, §13): argon2 password hashes, roles.

A coordinator sees everything; a facilitator account is linked to a facilitator of the
directory and sees only the callback queue of that facilitator's groups. An account can be
disabled, removed or given a new password; each ends every session it has (``session_epoch``),
and a facilitator account whose facilitator left the directory (inactive) cannot sign in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Facilitator, User

COORDINATOR = "coordinator"
FACILITATOR = "facilitator"
ROLES = (COORDINATOR, FACILITATOR)
MIN_PASSWORD = 10

_hasher = PasswordHasher()
# Verified against when the email is unknown, so a wrong email costs as long as a wrong
# password and the answer's timing does not tell which accounts exist.
_DUMMY_HASH = _hasher.hash("not a real password, only spends the time")


class UserError(ValueError):
    """An account that cannot be made; the message says why (no password in it)."""


@dataclass(frozen=True)
class NewUser:
    email: str
    password: str
    role: str
    facilitator_slug: str | None = None


def normal_email(email: str) -> str:
    return email.strip().lower()


def add(session: Session, new: NewUser) -> User:
    email = normal_email(new.email)
    if "@" not in email or len(email) > 200:
        raise UserError("give an email address")
    if new.role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    if len(new.password) < MIN_PASSWORD:
        raise UserError(f"the password needs at least {MIN_PASSWORD} characters")
    if find(session, email) is not None:
        raise UserError(f"{email} already has an account")
    user = User(
        email=email,
        password_hash=_hasher.hash(new.password),
        role=new.role,
        facilitator_id=_facilitator_id(session, new),
    )
    session.add(user)
    session.flush()
    return user


def _facilitator_id(session: Session, new: NewUser) -> int | None:
    if new.role != FACILITATOR:
        if new.facilitator_slug:
            raise UserError("--facilitator is only for facilitator accounts")
        return None
    if not new.facilitator_slug:
        raise UserError("a facilitator account needs --facilitator ID (the directory's id)")
    found = session.scalar(select(Facilitator.id).where(Facilitator.slug == new.facilitator_slug))
    if found is None:
        raise UserError(f"no facilitator {new.facilitator_slug!r} in the directory")
    return found


def find(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == normal_email(email)))


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The user when the password matches and the account may sign in; None otherwise, after the
    same argon2 work."""
    user = find(session, email)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not may_sign_in(session, user):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def may_sign_in(session: Session, user: User) -> bool:
    """Not disabled; a facilitator account only while its facilitator is in the directory."""
    if user.disabled_at is not None:
        return False
    if user.role != FACILITATOR:
        return True
    facilitator = session.get(Facilitator, user.facilitator_id) if user.facilitator_id else None
    return facilitator is not None and facilitator.active


def end_sessions(user: User) -> None:
    user.session_epoch = (user.session_epoch or 0) + 1


def disable(user: User, now: datetime) -> None:
    user.disabled_at = now
    end_sessions(user)


def enable(user: User) -> None:
    user.disabled_at = None


def set_password(user: User, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password needs at least {MIN_PASSWORD} characters")
    user.password_hash = _hasher.hash(password)
    end_sessions(user)


def remove(session: Session, user: User) -> None:
    session.delete(user)
