"""Typed SQLAlchemy models for everything the line keeps (SPEC §5, §9, §10, §12, §13).

Members hold only what §12 allows. Phone numbers are E.164 strings, parsed at the edge by
``app.phones``. Every timestamp is an aware UTC datetime (``UTCDateTime``).
"""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime, utcnow


def _enum(cls: type[enum.Enum]) -> Enum:
    # Store the value, portable as a plain string column (no PostgreSQL enum types to migrate).
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class SmsStatus(enum.StrEnum):
    OK = "ok"
    BLOCKED = "blocked"  # the number texted STOP; Twilio refuses sends (21610)
    INVALID = "invalid"  # 21211
    NO_SMS = "no_sms"  # 21614 / 30006: a landline
    PAUSED = "paused"  # 30003/30005 three times running


class ReminderChannel(enum.StrEnum):
    SMS = "sms"
    CALL = "call"
    NONE = "none"


class ConsentPurpose(enum.StrEnum):
    REMINDERS_SMS = "reminders_sms"
    REMINDERS_CALL = "reminders_call"
    NOTICES = "notices"
    BROADCASTS = "broadcasts"


class ConsentSource(enum.StrEnum):
    SMS = "sms"
    VOICE = "voice"
    PAPER = "paper"
    VERBAL = "verbal"
    CARRIER = "carrier"  # a keyword Twilio handled (STOP, START)
    CONSOLE = "console"


class Member(Base):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(16), unique=True)
    first_name: Mapped[str | None] = mapped_column(String(40))
    language: Mapped[str | None] = mapped_column(String(8))
    reminder_channel: Mapped[ReminderChannel | None] = mapped_column(_enum(ReminderChannel))
    voicemail_ok: Mapped[bool] = mapped_column(Boolean, default=False)
    zip: Mapped[str | None] = mapped_column(String(5))
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    pin_failures: Mapped[int] = mapped_column(Integer, default=0)
    pin_failures_day: Mapped[date | None] = mapped_column(Date)
    pin_locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sms_status: Mapped[SmsStatus] = mapped_column(_enum(SmsStatus), default=SmsStatus.OK)
    sms_failure_streak: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_active_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    rsvps: Mapped[list[Rsvp]] = relationship(back_populates="member", passive_deletes=True)


class ConsentEvent(Base):
    """The consent ledger: no content, keyed by a keyed hash of the number, kept after deletion."""

    __tablename__ = "consent_events"
    __table_args__ = (Index("ix_consent_lookup", "phone_hash", "purpose", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_hash: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[ConsentPurpose] = mapped_column(_enum(ConsentPurpose))
    granted: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[ConsentSource] = mapped_column(_enum(ConsentSource))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Coordinator(Base):
    __tablename__ = "coordinators"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    phone: Mapped[str] = mapped_column(String(16))
    email: Mapped[str | None] = mapped_column(String(200))
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    timezone: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Facilitator(Base):
    __tablename__ = "facilitators"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    phone: Mapped[str] = mapped_column(String(16), index=True)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    on_call: Mapped[bool] = mapped_column(Boolean, default=False)
    timezone: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class GroupFacilitator(Base):
    __tablename__ = "group_facilitators"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    facilitator_id: Mapped[int] = mapped_column(
        ForeignKey("facilitators.id", ondelete="CASCADE"), primary_key=True
    )


class GroupFormat(enum.StrEnum):
    IN_PERSON = "in_person"
    PHONE = "phone"
    VIDEO = "video"


class Group(Base):
    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(32))
    alias: Mapped[str] = mapped_column(String(32))
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    audience: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    format: Mapped[GroupFormat] = mapped_column(_enum(GroupFormat))
    location_name: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(60))
    zip: Mapped[str | None] = mapped_column(String(5))
    notes: Mapped[str | None] = mapped_column(String(60))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    dial_in_number: Mapped[str | None] = mapped_column(String(16))
    dial_in_code: Mapped[str | None] = mapped_column(String(20))
    timezone: Mapped[str] = mapped_column(String(64))
    starts_on: Mapped[date] = mapped_column(Date)
    schedule: Mapped[str] = mapped_column(String(200))
    start_time: Mapped[time] = mapped_column(Time)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int | None] = mapped_column(Integer)
    accessibility: Mapped[list[str]] = mapped_column(JSON, default=list)
    last_verified: Mapped[date] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    meetings: Mapped[list[Meeting]] = relationship(back_populates="group")
    facilitators: Mapped[list[Facilitator]] = relationship(secondary="group_facilitators")


class MeetingStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class Meeting(Base):
    """One occurrence of a group's schedule, named by its original date (like RECURRENCE-ID),
    so a cancellation or a move made here survives every re-import of the directory."""

    __tablename__ = "meetings"
    __table_args__ = (
        UniqueConstraint("group_id", "original_date"),
        Index("ix_meetings_starts_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    original_date: Mapped[date] = mapped_column(Date)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[MeetingStatus] = mapped_column(
        _enum(MeetingStatus), default=MeetingStatus.SCHEDULED
    )
    moved: Mapped[bool] = mapped_column(Boolean, default=False)
    capacity: Mapped[int | None] = mapped_column(Integer)
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    group: Mapped[Group] = relationship(back_populates="meetings")
    rsvps: Mapped[list[Rsvp]] = relationship(back_populates="meeting")

    @property
    def key(self) -> str:
        return f"{self.group.slug}@{self.original_date.isoformat()}"


class RsvpStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class Rsvp(Base):
    __tablename__ = "rsvps"
    __table_args__ = (
        # One live RSVP per member and meeting; cancelled ones stay as history.
        Index(
            "uq_rsvps_live",
            "member_id",
            "meeting_id",
            unique=True,
            sqlite_where=text("status != 'cancelled'"),
            postgresql_where=text("status != 'cancelled'"),
        ),
        Index("ix_rsvps_meeting_status", "meeting_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    status: Mapped[RsvpStatus] = mapped_column(_enum(RsvpStatus))
    source: Mapped[str] = mapped_column(String(10))  # sms | voice | console
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attended: Mapped[bool | None] = mapped_column(Boolean)  # from a reminder's 1 / 2

    member: Mapped[Member] = relationship(back_populates="rsvps")
    meeting: Mapped[Meeting] = relationship(back_populates="rsvps")


class CallbackStatus(enum.StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    CALLED = "called"
    DONE = "done"
    RELEASED = "released"
    EXPIRED = "expired"


OPEN_CALLBACK_STATES = (CallbackStatus.OPEN, CallbackStatus.CLAIMED, CallbackStatus.CALLED)


class CallbackRequest(Base):
    __tablename__ = "callback_requests"
    __table_args__ = (
        # A code is unique among requests that are still open (SPEC §10).
        Index(
            "uq_callback_open_code",
            "code",
            unique=True,
            sqlite_where=text("status IN ('open', 'claimed', 'called')"),
            postgresql_where=text("status IN ('open', 'claimed', 'called')"),
        ),
        Index("ix_callback_escalation", "status", "next_escalation_at"),
        Index("ix_callback_crisis_alert", "crisis_alert_at"),
        Index("ix_callback_recording_fetch", "recording_fetch_at"),
        Index("ix_callback_recording_purge", "recording_purge_at"),
        # Requests still holding a note, for the retention job (SPEC §12).
        Index(
            "ix_callback_note_retention",
            "created_at",
            sqlite_where=text("note IS NOT NULL"),
            postgresql_where=text("note IS NOT NULL"),
        ),
        # SQLite would otherwise hand a deleted request's id to the next one, and anything still
        # naming the old id (a recording link, a console page) would reach the new member's.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(6))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"))
    language: Mapped[str] = mapped_column(String(8))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(10))  # voice | sms | crisis | console
    note: Mapped[str | None] = mapped_column(Text)
    recording_sid: Mapped[str | None] = mapped_column(String(40))
    recording: Mapped[bytes | None] = mapped_column(LargeBinary)  # encrypted
    # When the sweep should next look for the recording at Twilio (set by the recording-status
    # callback or when the request opens), and when it is due for deletion (close + retention).
    recording_fetch_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recording_fetch_attempts: Mapped[int] = mapped_column(Integer, default=0)
    recording_purge_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voicemail_ok: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[CallbackStatus] = mapped_column(
        _enum(CallbackStatus), default=CallbackStatus.OPEN
    )
    claimed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("facilitators.id", ondelete="SET NULL")
    )
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    next_escalation_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the line dialled the member
    connected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the member pressed 1
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Crisis texts from the member joined to this request (a count, never their words); when
    # staff were last told about them (None: when it opened); when the next "written again"
    # alert is due (None: none waiting). Staff hear at most once per window (SPEC §6, M5).
    crisis_texts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    crisis_told_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    crisis_alert_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    member: Mapped[Member] = relationship()


class RecordingDeletion(Base):
    """A recording to delete at Twilio: its request closed long enough ago, or its member was
    erased. Only the SID (no content, no number), so erasure need not wait for Twilio."""

    __tablename__ = "recording_deletions"

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_sid: Mapped[str] = mapped_column(String(40), unique=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class MessageDeletion(Base):
    """A message to delete at Twilio (its record there holds the body and the number): past
    ``RETENTION_MESSAGES``, or its member was erased. Only the SID, like ``RecordingDeletion``."""

    __tablename__ = "message_deletions"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_sid: Mapped[str] = mapped_column(String(40), unique=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class OutboxKind(enum.StrEnum):
    SMS = "sms"
    CALL = "call"


class OutboxPurpose(enum.StrEnum):
    """Why a row exists. Replies, crisis replies and urgent alerts are not automated sends:
    quiet hours and consent checks do not hold them (SPEC §6)."""

    REPLY = "reply"
    CRISIS = "crisis"
    ALERT = "alert"  # facilitator / coordinator alerts about callback requests
    CALLBACK = "callback"  # the masked call a member asked for
    REMINDER = "reminder"
    NOTICE = "notice"
    BROADCAST = "broadcast"
    STAFF = "staff"  # coordinators told about something (quiet hours apply, in their zone)


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its due time
    QUEUED = "queued"  # handed to RQ by the sweep
    SENDING = "sending"  # claimed by a worker; the API call may be in flight
    UNKNOWN = "unknown"  # the API call ended without an answer; reconcile before resending
    SENT = "sent"  # Twilio accepted it (queued/sent at Twilio)
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    CANCELLED = "cancelled"  # withdrawn before sending (RSVP dropped, STOP, meeting gone)
    SKIPPED = "skipped"  # dropped by a rule (no consent, reminder after start)


FINAL_OUTBOX_STATES = (
    OutboxStatus.DELIVERED,
    OutboxStatus.UNDELIVERED,
    OutboxStatus.FAILED,
    OutboxStatus.CANCELLED,
    OutboxStatus.SKIPPED,
)


class OutboxItem(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "due_at"),
        Index("ix_outbox_claim", "status", "claim_expires_at"),
        Index("ix_outbox_rsvp", "rsvp_id"),
        Index("ix_outbox_broadcast", "broadcast_id", "status"),
        Index("ix_outbox_check", "status", "next_check_at"),
        Index("ix_outbox_recipient", "recipient", "claimed_at"),
        # Rows still holding content, oldest first: the retention job (SPEC §12) empties them,
        # and an emptied row (recipient '') leaves this index.
        Index(
            "ix_outbox_retention",
            "created_at",
            sqlite_where=text("recipient != ''"),
            postgresql_where=text("recipient != ''"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OutboxKind] = mapped_column(_enum(OutboxKind))
    purpose: Mapped[OutboxPurpose] = mapped_column(_enum(OutboxPurpose))
    priority: Mapped[int] = mapped_column(Integer, default=5)  # 0 goes first
    recipient: Mapped[str] = mapped_column(String(16))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    facilitator_id: Mapped[int | None] = mapped_column(
        ForeignKey("facilitators.id", ondelete="SET NULL")
    )
    coordinator_id: Mapped[int | None] = mapped_column(
        ForeignKey("coordinators.id", ondelete="SET NULL")
    )
    template: Mapped[str] = mapped_column(String(80))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    language: Mapped[str] = mapped_column(String(8))
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    rsvp_id: Mapped[int | None] = mapped_column(ForeignKey("rsvps.id", ondelete="SET NULL"))
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="SET NULL")
    )
    callback_id: Mapped[int | None] = mapped_column(
        ForeignKey("callback_requests.id", ondelete="SET NULL")
    )
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[OutboxStatus] = mapped_column(_enum(OutboxStatus), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    body: Mapped[str | None] = mapped_column(Text)  # rendered at claim, for reconciliation
    segments: Mapped[int | None] = mapped_column(Integer)
    twilio_sid: Mapped[str | None] = mapped_column(String(40), index=True)
    error_code: Mapped[int | None] = mapped_column(Integer)
    reconcile_checks: Mapped[int] = mapped_column(Integer, default=0)
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    final_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class InboundMessage(Base):
    """One row per Twilio MessageSid: a retried webhook gets the same reply and no second effect."""

    __tablename__ = "inbound_messages"
    __table_args__ = (Index("ix_inbound_sender_time", "sender_hash", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_sid: Mapped[str] = mapped_column(String(40), unique=True)
    sender_hash: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    reply: Mapped[str | None] = mapped_column(Text)  # the TwiML answered, replayed on retry


class HandledSid(Base):
    """A content-free tombstone of a ``MessageSid`` or ``CallSid`` the line handled (security
    review M2): a keyed hash and the day it came, nothing else (no number, no content). It
    outlives erasure and message retention, so a captured webhook replayed after the member's
    data is gone cannot re-create them; it goes after ``tombstones.HORIZON``."""

    __tablename__ = "handled_sids"

    id: Mapped[int] = mapped_column(primary_key=True)
    sid_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(8))  # sms | call
    received_on: Mapped[date] = mapped_column(Date, index=True)


class Conversation(Base):
    """SMS conversation state per number, in the database so a restart loses nothing."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(16), unique=True)
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Broadcast(Base):
    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"))
    texts: Mapped[dict[str, str]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    send_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    forced: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    planned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    skipped_language: Mapped[int] = mapped_column(Integer, default=0)
    # A resumed broadcast counts a new run of carrier filtering from here (SPEC §9 pause).
    resumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # coordinator | facilitator
    facilitator_id: Mapped[int | None] = mapped_column(
        ForeignKey("facilitators.id", ondelete="SET NULL")
    )
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Part of every session cookie's check: raising it ends every session of this account at
    # once (sign-out, a new password, disabling), which a signed cookie alone cannot do.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    """Who did what to which row, without content (no numbers, no bodies)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str | None] = mapped_column(String(120))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class StaffNoticeKind(enum.StrEnum):
    """What coordinators must see or be told (SPEC §9, §10). No content, no numbers."""

    INVALID_NUMBER = "invalid_number"  # 21211
    CANNOT_REMIND = "cannot_remind"  # no SMS (21614/30006/paused) and no call consent
    LATE_NOTICE = "late_notice"  # a cancel/move notice that could not go out in time
    BROADCAST_PAUSED = "broadcast_paused"  # 30007/30034 in a run
    FACILITATOR_OPTED_OUT = "facilitator_stopped"
    CALLBACK_UNANSWERED = "callback_unanswered"  # escalated to coordinators
    CRISIS_AGAIN = "crisis_again"  # the member of an urgent request keeps writing
    CALLBACK_UNREACHED = "callback_unreached"  # an urgent request held, its member not reached
    UNCONFIRMED = "unconfirmed_send"  # an unknown send left unresolved (never resent again)
    OTHER = "other"


class StaffNotice(Base):
    """Something coordinators see on the console (and, for the urgent kinds, are texted
    about). One row per event (``dedupe_key``), so retried jobs never repeat it."""

    __tablename__ = "staff_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[StaffNoticeKind] = mapped_column(_enum(StaffNoticeKind), index=True)
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"))
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="SET NULL")
    )
    facilitator_id: Mapped[int | None] = mapped_column(
        ForeignKey("facilitators.id", ondelete="SET NULL")
    )
    callback_id: Mapped[int | None] = mapped_column(
        ForeignKey("callback_requests.id", ondelete="SET NULL")
    )
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
