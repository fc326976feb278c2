"""Opt-outs and opt-ins in the consent ledger (SPEC §8 carrier keywords, §9 consent).

Two kinds of stop. A carrier stop (Twilio's own keyword) blocks the number at Twilio: the member
is marked ``BLOCKED`` and gets no SMS at all until a carrier START. A stop the line caught itself
("PARAR", "stop texting me") is not known to Twilio: every purpose is revoked, so nothing
automated goes out, while replies to the member's own texts still do.

An opt-in restores what a member gets about meetings they sign up for (``reminders_sms`` and
``notices``); group news (``broadcasts``) needs a fresh JOIN.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.config import Config
from app.models import ConsentPurpose, ConsentSource, Member, SmsStatus
from app.services import members

RESTORED_BY_OPT_IN = (ConsentPurpose.REMINDERS_SMS, ConsentPurpose.NOTICES)


def texts_per_meeting(config: Config) -> int:
    """What the HELP text promises: one text per reminder offset, plus a possible change notice
    and a waitlist seat opening."""
    return len(config.reminder_offsets) + 2


def opt_out(session: Session, member: Member, by_carrier: bool, secret: str) -> None:
    source = ConsentSource.CARRIER if by_carrier else ConsentSource.SMS
    members.revoke_all(session, member.phone, source, secret)
    if by_carrier:
        member.sms_status = SmsStatus.BLOCKED


def opt_in(session: Session, member: Member, by_carrier: bool, secret: str) -> None:
    source = ConsentSource.CARRIER if by_carrier else ConsentSource.SMS
    for purpose in RESTORED_BY_OPT_IN:
        members.record_consent(session, member.phone, purpose, True, source, secret)
    if by_carrier and member.sms_status is SmsStatus.BLOCKED:
        member.sms_status = SmsStatus.OK


def texts_blocked(member: Member) -> bool:
    """Twilio refuses every SMS to this number (it texted STOP): callback requests for it are
    marked "texts blocked, call only" when facilitators are told."""
    return member.sms_status is SmsStatus.BLOCKED


def opted_out(session: Session, member: Member, secret: str) -> bool:
    """Blocked at Twilio, or the ledger shows a stop: some purpose recorded, none granted."""
    if texts_blocked(member):
        return True
    recorded = [
        p for p in ConsentPurpose if members.consent_ever_recorded(session, member.phone, p, secret)
    ]
    return bool(recorded) and not any(
        members.has_consent(session, member.phone, p, secret) for p in recorded
    )
