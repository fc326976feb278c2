"""Every step of a call (SPEC §7), as data. ``flows(languages)`` builds the table; the language
menu is the one part that depends on which prompt files exist."""

from __future__ import annotations

from call_flows.nodes import (
    AFTER_GATE,
    GOODBYE,
    PREVIOUS,
    Action,
    Choice,
    Entry,
    Hangup,
    Menu,
    Node,
    Record,
    Say,
)

START = "start"
MAIN = "main"
HOME = "home"  # the first question after the language: a ZIP code, or star for the main menu
STUCK = "stuck"  # a caller lost on the main or last menu: a callback at caller ID, then goodbye
CRISIS_INFO = "crisis_info"
CRISIS_MATCH = "crisis_match"
CALLBACK = "callback"
STOP = "gate_stop"
SILENT_END = "silent_end"
APOLOGY = "apology"
GOODBYE_NODE = "goodbye"
OUTBOUND_REMINDER = "reminder_call"
OUTBOUND_VOICEMAIL = "reminder_voicemail"  # an answering machine the member allowed
OUTBOUND_NOTICE = "notice_call"  # a cancel, move or waitlist notice by call
OUTBOUND_REPLY = "reply_call"  # a one-time code or "my meetings" a caller asked for by call


def _c(key: str, label: str, target: str, **extra: str) -> Choice:
    return Choice(key=key, label=f"voice.{label}", target=target, **extra)


def _yes_no(
    name: str, prompt: str | None, yes: str, no: str, back: str, on_timeout: str = MAIN
) -> Menu:
    return Menu(
        name,
        prompt,
        (
            _c("1", "choice.confirm", yes, words="voice.words.yes"),
            _c("2", "choice.cancel", no, words="voice.words.no"),
        ),
        back=back,
        on_timeout=on_timeout,
    )


def _reminder_channel(
    name: str, prefix: str, done: str, back: str | None = None, on_timeout: str = MAIN
) -> list[Node]:
    """By call (then the voicemail question), by text or none: asked after an RSVP and in
    settings, the same menu leading back to different places. A phone call comes first: the
    caller is on a phone that takes calls, and may be on a landline, where a text reminder
    would never arrive (review S1-2)."""
    menu = Menu(
        name,
        "voice.remind.ask",
        (
            _c("1", "remind.by_call", f"{prefix}_call", words="voice.words.call"),
            _c("2", "remind.by_text", f"{prefix}_sms", words="voice.words.text", when="can_text"),
            _c("3", "remind.none", f"{prefix}_none", words="voice.words.none"),
        ),
        back=back or done,
        on_timeout=on_timeout,
    )
    actions = [
        Action(
            f"{prefix}_{how}", "set_reminders", {"ok": done, "call": "voicemail_choice"}, arg=how
        )
        for how in ("sms", "call", "none")
    ]
    return [menu, *actions]


def _language_menu(languages: list[str]) -> list[Node]:
    choices = tuple(
        Choice(str(key), "voice.choice.language", f"lang_{code}", words=None, language=code)
        for key, code in enumerate(languages, start=1)
    )
    # The first language's notice is said before this menu, whole; the others' inside it, so a
    # caller can choose while they are said (the language menu is where a new call first waits).
    menu = Menu(
        "language", None, choices, back="language", on_timeout=HOME, notices=tuple(languages[1:])
    )
    actions = [Action(f"lang_{code}", "set_language", {"ok": HOME}, arg=code) for code in languages]
    return [menu, *actions]


def _start() -> list[Node]:
    return [
        Action(START, "start", {"known": MAIN, "unknown": "language"}),
        # Finding a group is what most callers came for: after the language, the ZIP is asked
        # at once, and star leads to this menu (issue 18: a new caller hears the nearest group
        # within 45 seconds).
        Entry(HOME, "voice.home", 5, "check_zip", back=MAIN, on_timeout=STUCK),
        Menu(
            MAIN,
            None,
            (
                _c("1", "main.find", "find_zip", words="voice.words.find"),
                _c("2", "main.meetings", "my_meetings", words="voice.words.meetings"),
                _c("3", "main.callback", CALLBACK, words="voice.words.callback"),
                _c("4", "main.settings", "settings", words="voice.words.settings"),
            ),
            back=MAIN,
            on_timeout=STUCK,
            preface=(("sms_blocked", "voice.main.blocked"),),
            coda=("voice.main.also",),
        ),
        # Never a bare hang-up on someone lost or silent: a person calls them back at caller ID
        # (an unverified caller may ask that: it says nothing about membership), or they hear
        # how to ask for one; and that they can call again any time.
        Action(STUCK, "stuck_callback", {"filed": "stuck_filed", "no_number": SILENT_END}),
        Hangup("stuck_filed", ("voice.callback.stuck_filed", "voice.any_time", GOODBYE)),
        Hangup(SILENT_END, ("voice.callback_offer", "voice.any_time", GOODBYE)),
        Hangup(GOODBYE_NODE, (GOODBYE,)),
        Menu(
            "anything_else",
            "voice.more.ask",
            (
                _c("1", "more.main", MAIN, words="voice.words.main"),
                _c("2", "more.end", GOODBYE_NODE, words="voice.words.end"),
            ),
            back=MAIN,
            on_timeout="callback_end",
        ),
    ]


def _crisis_menu(name: str, prompt: str, repeat: str | None = None) -> Menu:
    return Menu(
        name,
        prompt,
        (
            _c("1", "crisis.text_me", "crisis_text", words="voice.words.text", when="can_text"),
            _c("2", "more.main", MAIN, words="voice.words.main"),
        ),
        back=PREVIOUS,
        repeat=repeat,
    )


def _crisis() -> list[Node]:
    """After a crisis phrase, 911 and 988 come first and the promise of a call back after them
    (review item 13): someone in danger must not wait through anything to hear 911. 9 there
    repeats both."""
    return [
        _crisis_menu(CRISIS_INFO, "crisis.voice_info"),
        Action("crisis_text", "text_crisis_numbers", {"ok": "crisis_sent"}),
        Say("crisis_sent", "crisis.voice_sent", CRISIS_INFO),
        Action(
            CRISIS_MATCH,
            "open_crisis_request",
            {"opened": "crisis_opened", "no_number": "crisis_no_number"},
        ),
        Say("crisis_opened", "crisis.voice_info", "crisis_promise"),
        _crisis_menu("crisis_promise", "crisis.voice_opened", repeat="crisis_opened"),
        Say("crisis_no_number", "crisis.voice_info", "crisis_ask_zero"),
        _crisis_menu("crisis_ask_zero", "crisis.voice_no_number", repeat="crisis_no_number"),
    ]


def _find() -> list[Node]:
    return [
        Entry("find_zip", "voice.find.zip", 5, "check_zip", back=MAIN),
        # The ZIP is read back as a statement, not a yes/no menu: star on the first result (or
        # "another ZIP code" on the narrowing menu) changes it, and the caller saves a step.
        Action("check_zip", "check_zip", {"ok": "search", "short": "zip_short"}),
        Say("zip_short", "voice.find.zip_short", "find_zip"),
        Action(
            "search",
            "search",
            {
                "unknown": "zip_unknown",
                "none_nearby": "no_in_person",
                "many": "result_first",
                "some": "result_first",
            },
        ),
        Say("zip_unknown", "voice.find.zip_unknown", "find_zip"),
        Menu(
            "no_in_person",
            "voice.find.none_nearby",
            (
                _c("1", "find.by_phone", "phone_results", when="has_phone_groups"),
                _c("2", "find.another_zip", "find_zip", words="voice.words.again"),
                _c("3", "main.callback", CALLBACK, words="voice.words.callback"),
            ),
            back=MAIN,
        ),
        Action("phone_results", "phone_groups_only", {"ok": "result_first"}),
        Menu(
            "narrow",
            None,
            (
                _c("1", "find.hear_all", "result_all", words="voice.words.all"),
                _c("2", "find.by_topic", "topic", words="voice.words.topic"),
                _c("3", "find.by_day", "day", words="voice.words.day"),
                _c("4", "find.another_zip", "find_zip", words="voice.words.again"),
            ),
            back="result_read",
            topic_speech="pick_topic_said",
        ),
        Menu(
            "topic",
            None,
            tuple(
                _c(str(n), "find.topic", f"pick_topic_{n}", when=f"topic_{n}", item=f"topic_{n}")
                for n in range(1, 5)
            ),
            back="narrow",
            topic_speech="pick_topic_said",
        ),
        *[
            Action(
                f"pick_topic_{n}",
                "filter_topic",
                {"ok": "result_first", "none": "no_match"},
                arg=str(n),
            )
            for n in range(1, 5)
        ],
        Action(
            "pick_topic_said",
            "filter_topic",
            {"ok": "result_first", "none": "no_match"},
            arg="said",
        ),
        Say("no_match", "voice.find.no_match", "narrow"),
        Menu(
            "day",
            None,
            (
                _c("1", "find.today", "pick_today", words="voice.words.today"),
                _c("2", "find.tomorrow", "pick_tomorrow", words="voice.words.tomorrow"),
                _c("3", "find.weekend", "pick_weekend", words="voice.words.weekend"),
            ),
            back="narrow",
        ),
        *[
            Action(f"pick_{day}", "filter_day", {"ok": "result_first", "none": "no_match"}, arg=day)
            for day in ("today", "tomorrow", "weekend")
        ],
        Action("result_first", "first_result", {"ok": "result_read"}),
        Action("result_all", "first_result", {"ok": "result_read"}, arg="all"),
        Action("result_read", "read_result", {"ok": "result"}),
        Menu(
            "result",
            None,
            (
                _c("1", "find.rsvp", "rsvp_prepare", words="voice.words.rsvp", when="has_number"),
                _c(
                    "2",
                    "find.text_details",
                    "text_details",
                    words="voice.words.text",
                    when="can_text",
                ),
                _c(
                    "3",
                    "choice.next_group",
                    "result_next",
                    words="voice.words.next",
                    when="has_next",
                    unavailable="voice.find.last_group",
                ),
                _c(
                    "4",
                    "choice.previous_group",
                    "result_prev",
                    words="voice.words.previous",
                    when="has_previous",
                    unavailable="voice.find.first_group",
                ),
            ),
            # Star narrows (topic, day, another ZIP): the results come first, narrowing after.
            back="narrow",
            navigation="voice.find.navigation",
        ),
        Action("result_next", "move_result", {"ok": "result_read"}, arg="next"),
        Action("result_prev", "move_result", {"ok": "result_read"}, arg="previous"),
        Action("text_details", "text_details", {"ok": "result"}),
    ]


def _rsvp() -> list[Node]:
    return [
        # One step: the result has just said the meeting's date, and "my meetings" cancels.
        Action("rsvp_prepare", "prepare_rsvp", {"ok": "rsvp_make", "none": "rsvp_none"}),
        Say("rsvp_none", "voice.rsvp.none", "result"),
        Action(
            "rsvp_make",
            "make_rsvp",
            {
                "ask": "remind_choice",
                "done": "rsvp_plan",
                "refused": "rsvp_none",
                "dial_in": "dial_in_read",
            },
        ),
        Action("dial_in_read", "read_dial_in", {"ok": "dial_in"}),
        Menu(
            "dial_in",
            None,
            (
                _c(
                    "1",
                    "rsvp.dial_in_text",
                    "dial_in_text",
                    words="voice.words.text",
                    when="can_text",
                ),
                _c("2", "rsvp.dial_in_done", "dial_in_after", words="voice.words.next"),
            ),
            back="dial_in_after",
            on_timeout="dial_in_after",
            coda=("voice.rsvp.dial_in_repeat",),
            repeat="dial_in_read",  # 9 says the number and code again, not only the keys
        ),
        Action("dial_in_text", "text_details", {"ok": "dial_in"}),
        Action("dial_in_after", "after_dial_in", {"ask": "remind_choice", "done": "rsvp_plan"}),
        *_reminder_channel("remind_choice", "remind", "rsvp_plan", on_timeout="rsvp_plan"),
        _yes_no(
            "voicemail_choice", "voice.remind.voicemail_ask", "vm_yes", "vm_no", back="rsvp_plan"
        ),
        Action("vm_yes", "set_voicemail", {"ok": "rsvp_plan"}, arg="yes"),
        Action("vm_no", "set_voicemail", {"ok": "rsvp_plan"}, arg="no"),
        Action("rsvp_plan", "say_reminder_plan", {"ok": "anything_else"}),
    ]


def _meetings() -> list[Node]:
    return [
        Action(
            "my_meetings",
            "begin_gate",
            {"verified": "meetings_load", "unverified": "verify_offer"},
            arg="meetings_load",
        ),
        Menu(
            "verify_offer",
            "voice.verify.offer",
            (
                # A call first: it reaches a landline too (after the caller hangs up).
                _c(
                    "1",
                    "verify.by_call",
                    "meetings_call",
                    words="voice.words.call",
                    when="has_caller_id",
                ),
                _c(
                    "2",
                    "verify.by_text",
                    "meetings_text",
                    words="voice.words.text",
                    when="can_text",
                ),
                _c("3", "verify.pin", "pin_entry", words="voice.words.pin"),
            ),
            back=MAIN,
        ),
        *[
            Action(
                f"meetings_{how}",
                "send_meetings",
                {
                    "text": "meetings_sent",
                    "call": "meetings_call_coming",
                    "limit": "meetings_limit",
                },
                arg=how,
            )
            for how in ("text", "call")
        ],
        Say("meetings_sent", "voice.verify.sent", "anything_else"),
        Say("meetings_limit", "voice.verify.limit", "anything_else"),
        # The caller's own line must be free for the call back: a landline would ring busy.
        Hangup("meetings_call_coming", ("voice.verify.call_coming", GOODBYE)),
        Entry("pin_entry", "voice.verify.pin_entry", 4, "check_pin", back=MAIN),
        Action(
            "check_pin",
            "check_pin",
            {"ok": AFTER_GATE, "wrong": "pin_wrong", "locked": "pin_locked"},
        ),
        Say("pin_wrong", "voice.verify.pin_wrong", "pin_entry"),
        Say("pin_locked", "voice.verify.pin_locked", "anything_else"),
        Action("meetings_load", "load_rsvps", {"some": "meeting_read", "none": "meetings_none"}),
        Say("meetings_none", "voice.meetings.none", "anything_else"),
        Action("meeting_read", "read_rsvp", {"ok": "meeting"}),
        Menu(
            "meeting",
            None,
            (
                _c("1", "meetings.cancel", "cancel_confirm", words="voice.words.cancel"),
                _c(
                    "2",
                    "choice.next_meeting",
                    "meeting_next",
                    words="voice.words.next",
                    when="has_next",
                    unavailable="voice.meetings.last",
                ),
                _c(
                    "3",
                    "choice.previous_meeting",
                    "meeting_prev",
                    words="voice.words.previous",
                    when="has_previous",
                    unavailable="voice.meetings.first",
                ),
            ),
            back=MAIN,
        ),
        Action("meeting_next", "move_rsvp", {"ok": "meeting_read"}, arg="next"),
        Action("meeting_prev", "move_rsvp", {"ok": "meeting_read"}, arg="previous"),
        _yes_no(
            "cancel_confirm",
            "voice.meetings.cancel_ask",
            "cancel_rsvp",
            "meeting_read",
            back="meeting_read",
        ),
        Action("cancel_rsvp", "cancel_rsvp", {"ok": "cancelled"}),
        Say("cancelled", "voice.meetings.cancelled", "meetings_load"),
        # The gate in front of PIN, stop and delete: verified callers pass; others get the same
        # offer of a one-time code or the PIN, member or not.
        Menu(
            "otp_offer",
            "voice.otp.offer",
            (
                _c("1", "otp.by_call", "otp_send_call", words="voice.words.call"),
                _c("2", "otp.by_text", "otp_send_sms", words="voice.words.text", when="can_text"),
                _c("3", "verify.pin", "pin_entry", words="voice.words.pin"),
                # A code that came by call is entered in the next call: offered to everyone.
                _c("4", "otp.have_code", "otp_entry", words="voice.words.code"),
            ),
            back="settings",
        ),
        *[
            Action(
                f"otp_send_{how}",
                "send_code",
                {"text": "otp_entry", "call": "otp_call_coming", "limit": "otp_limit"},
                arg=how,
            )
            for how in ("sms", "call")
        ],
        Say("otp_limit", "voice.otp.limit", "otp_entry"),
        # The caller's own line must be free for the code call: a landline would ring busy.
        Hangup("otp_call_coming", ("voice.otp.call_coming", GOODBYE)),
        Entry("otp_entry", "voice.otp.entry", 6, "otp_check", back="otp_offer"),
        Action("otp_check", "check_code", {"ok": AFTER_GATE, "wrong": "otp_wrong"}),
        Say("otp_wrong", "voice.otp.wrong", "otp_offer"),
    ]


def _callback() -> list[Node]:
    return [
        Action(
            CALLBACK,
            "callback_start",
            {"has_number": "callback_file", "no_number": "callback_number"},
        ),
        # Filed at once, before any question: the request is what the caller asked for, and one
        # who hangs up now still gets their call. A message and voicemail permission come after.
        Action("callback_file", "confirm_callback", {"ok": "callback_intro"}),
        Menu(
            "callback_intro",
            None,
            (
                _c("1", "callback.leave_message", "callback_record", words="voice.words.message"),
                _c("2", "callback.skip", "callback_voicemail", words="voice.words.skip"),
            ),
            back=MAIN,
            on_timeout="callback_end",
        ),
        Hangup("callback_end", ("voice.any_time", GOODBYE)),
        Entry(
            "callback_number", "voice.callback.number_entry", 10, "check_callback_number", back=MAIN
        ),
        Action(
            "check_callback_number",
            "check_callback_number",
            {
                "ok": "callback_number_readback",
                "refused": "callback_number_refused",
                "short": "callback_number_short",
                "crisis": CRISIS_INFO,
                "give_up": "callback_number_give_up",
            },
        ),
        Say("callback_number_refused", "voice.callback.number_refused", "callback_number"),
        Say("callback_number_short", "voice.callback.number_short", "callback_number"),
        # The third refused number: no endless loop, but the other ways to a call back.
        Say("callback_number_give_up", "voice.callback.number_give_up", "anything_else"),
        Menu(
            "callback_number_readback",
            None,
            (
                _c("1", "choice.right", "callback_number_confirmed", words="voice.words.yes"),
                _c("2", "choice.again", "callback_number", words="voice.words.no"),
            ),
            back="callback_number",
        ),
        Action("callback_number_confirmed", "confirm_callback_number", {"ok": "callback_file"}),
        Record("callback_record", "voice.callback.record", "callback_recorded"),
        Action("callback_recorded", "attach_recording", {"ok": "callback_voicemail"}),
        _yes_no(
            "callback_voicemail",
            "voice.callback.voicemail_ask",
            "callback_open_vm",
            "callback_open",
            back="callback_intro",
            on_timeout="callback_end",
        ),
        Action("callback_open_vm", "set_callback_voicemail", {"ok": "anything_else"}, arg="yes"),
        Action("callback_open", "set_callback_voicemail", {"ok": "anything_else"}, arg="no"),
    ]


def _settings() -> list[Node]:
    return [
        Menu(
            "settings",
            None,
            (
                _c("1", "settings.language", "language", words="voice.words.language"),
                _c(
                    "2",
                    "settings.reminders",
                    "settings_reminders",
                    words="voice.words.reminders",
                    when="has_caller_id",
                ),
                _c("3", "settings.pin", "gate_pin", words="voice.words.pin", when="has_caller_id"),
                _c("4", "settings.privacy", "privacy", words="voice.words.privacy"),
            ),
            back=MAIN,
        ),
        *_reminder_channel("settings_reminders", "set", "reminders_saved", back="settings"),
        Say("reminders_saved", "voice.settings.saved", "settings"),
        Action(
            "gate_pin",
            "begin_gate",
            {"verified": "pin_new", "unverified": "otp_offer"},
            arg="pin_new",
        ),
        Entry("pin_new", "voice.settings.pin_new", 4, "save_pin", back="settings"),
        Action("save_pin", "save_pin", {"ok": "pin_saved", "short": "pin_new"}),
        Say("pin_saved", "voice.settings.pin_saved", "settings"),
        Menu(
            "privacy",
            None,
            (
                _c("1", "privacy.explain", "privacy_info", words="voice.words.privacy"),
                _c("2", "privacy.stop", STOP, words="voice.words.stop", when="has_caller_id"),
                _c(
                    "3",
                    "privacy.delete",
                    "gate_delete",
                    words="voice.words.delete",
                    when="has_caller_id",
                ),
            ),
            back="settings",
        ),
        Say("privacy_info", "voice.privacy.plain", "privacy"),
        # No code or PIN for a stop (review S1-2): it only withdraws messages to the number
        # calling, revoking consent must be easy, and everyone hears the same words.
        Action(STOP, "begin_stop", {"number": "stop_confirm", "no_number": "stop_no_number"}),
        Say("stop_no_number", "voice.privacy.stop_no_number", "anything_else"),
        _yes_no("stop_confirm", "voice.privacy.stop_ask", "do_stop", "privacy", back="privacy"),
        Action("do_stop", "stop_everything", {"ok": "stopped"}),
        Hangup("stopped", ("voice.privacy.stopped", GOODBYE)),
        Action(
            "gate_delete",
            "begin_gate",
            {"verified": "delete_confirm", "unverified": "otp_offer"},
            arg="delete_confirm",
        ),
        _yes_no(
            "delete_confirm", "voice.privacy.delete_ask", "do_delete", "privacy", back="privacy"
        ),
        Action("do_delete", "delete_member", {"ok": "deleted"}),
        Hangup("deleted", ("voice.privacy.deleted", GOODBYE)),
    ]


def _outbound() -> list[Node]:
    """Menus of calls the line places; the reminder and callback issues start calls here."""
    return [
        Action(OUTBOUND_REMINDER, "read_reminder", {"ok": "reminder_menu"}),
        Menu(
            "reminder_menu",
            None,
            (
                _c("1", "outbound.attend", "reminder_yes", words="voice.words.yes"),
                _c("2", "outbound.cannot", "reminder_no", words="voice.words.no"),
                _c("7", "outbound.stop_calls", "reminder_stop", words="voice.words.stop"),
            ),
            back="reminder_menu",
            on_timeout="outbound_goodbye",
            outbound=True,
            # 9 and 8 work on every menu; a reminder says so, then the line's number (SPEC §9).
            coda=("voice.outbound.repeat", "voice.outbound.crisis", "voice.outbound.line_number"),
            repeat=OUTBOUND_REMINDER,  # 9 reads the reminder itself again, not only the keys
        ),
        Action("reminder_yes", "answer_reminder", {"ok": "outbound_thanks"}, arg="yes"),
        Action("reminder_no", "answer_reminder", {"ok": "outbound_thanks"}, arg="no"),
        Action("reminder_stop", "answer_reminder", {"ok": "outbound_thanks"}, arg="stop"),
        Hangup("outbound_thanks", ("voice.outbound.thanks", "voice.outbound.line_number", GOODBYE)),
        Hangup("outbound_goodbye", ("voice.outbound.line_number", GOODBYE)),
        Action(OUTBOUND_VOICEMAIL, "outbound_language", {"ok": "voicemail_left"}),
        Hangup("voicemail_left", ("voice.outbound.voicemail", GOODBYE)),
        Action(OUTBOUND_NOTICE, "read_notice", {"ok": "outbound_goodbye"}),
        Action(
            OUTBOUND_REPLY,
            "read_reply",
            {"ok": "reply_menu", "expired": "reply_expired", "gone": "outbound_goodbye"},
        ),
        Menu(
            "reply_menu",
            None,
            (_c("1", "more.end", "outbound_thanks", words="voice.words.end"),),
            back="reply_menu",
            on_timeout="outbound_goodbye",
            outbound=True,
            coda=("voice.outbound.repeat", "voice.outbound.crisis", "voice.outbound.line_number"),
            repeat=OUTBOUND_REPLY,  # 9 reads the code (or the meetings) again
        ),
        Hangup("reply_expired", ("voice.call.code_expired", "voice.outbound.line_number", GOODBYE)),
    ]


def flows(languages: list[str]) -> dict[str, Node]:
    nodes = [
        *_start(),
        *_language_menu(languages),
        *_crisis(),
        *_find(),
        *_rsvp(),
        *_meetings(),
        *_callback(),
        *_settings(),
        *_outbound(),
        Hangup(APOLOGY, ("voice.apology", "voice.callback_offer", GOODBYE)),
    ]
    table = {node.name: node for node in nodes}
    assert len(table) == len(nodes), "two nodes share a name"
    return table


# Entry points other than START: reached by the line's own calls or by an error, not by a key.
ENTRY_POINTS = (
    START,
    OUTBOUND_REMINDER,
    OUTBOUND_VOICEMAIL,
    OUTBOUND_NOTICE,
    OUTBOUND_REPLY,
    APOLOGY,
)
