"""``phoneline check`` prints the Advanced Opt-Out replies to paste into the Messaging Service."""

from app.extensions import phoneline
from app.preflight import preflight
from tests.sms_phone import say


def test_check_prints_the_help_stop_and_start_texts_in_english_and_spanish(app):
    printed = "\n".join(preflight(phoneline(app)).lines)
    for language in ("en", "es"):
        assert f"Help: {say(language, 'optout.help', per_meeting=4)}" in printed
        assert f"Opt-out: {say(language, 'optout.stop')}" in printed
        assert f"Opt-in: {say(language, 'optout.start')}" in printed


def test_the_help_text_promises_texts_per_meeting_from_the_reminder_offsets(settings):
    from app import create_app

    app = create_app({**settings, "REMINDER_OFFSETS": "3d,1d,2h,30m"})
    printed = "\n".join(preflight(phoneline(app)).lines)
    assert "Up to 6 texts per meeting you sign up for." in printed
    phoneline(app).db.dispose()
    phoneline(app).redis.close()
