"""The Twilio API simulator (SPEC §15): a local Twilio that the real ``twilio`` client talks to.

See ``docs/simulator.md``. ``Simulator`` is the handle tests and ``serve`` use.
"""

from app.simulator.calls import CallTiming, Hold
from app.simulator.carrier import QUICK, TWILIO_LIKE, MessageTiming
from app.simulator.faults import Fault
from app.simulator.phones import (
    SILENCE,
    HangUp,
    Keys,
    ListScript,
    Phone,
    Silence,
    Speech,
    Talk,
    TerminalScript,
)
from app.simulator.records import Call, Heard, Message, Recording
from app.simulator.server import Simulator
from app.simulator.webhooks import Disorder, HttpTransport, WsgiTransport

__all__ = [
    "QUICK",
    "SILENCE",
    "TWILIO_LIKE",
    "Call",
    "CallTiming",
    "Disorder",
    "Fault",
    "HangUp",
    "Heard",
    "Hold",
    "HttpTransport",
    "Keys",
    "ListScript",
    "Message",
    "MessageTiming",
    "Phone",
    "Recording",
    "Silence",
    "Simulator",
    "Speech",
    "Talk",
    "TerminalScript",
    "WsgiTransport",
]
