"""A new caller's common tasks, timed as whole calls through the simulator (issue 18): a flow
that gets slower than its target fails here. ``bench/member_tasks.py`` prints the same table."""

from datetime import UTC, datetime

import pytest
import time_machine

from app.member_tasks import TASKS, Measured, load_demo, run
from app.voice_timing import spoken_words
from tests.call_runner import every_voice_document_is_checked  # noqa: F401

# The review's date (Friday 4 December 2026), so the dates said are the same words every run.
REVIEW_DAY = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)
# Not yet at the issue's target (docs/voice.md, "What the targets cost"): no slower than now.
# Spanish grew 1.6 s with the topics said as "para personas con ansiedad" (review section 4);
# both 0.8 s with "0, then pound" (a lone 0 waits out the entry's timeout on Twilio).
TODAY = {("nearest", "en"): 50.8, ("nearest", "es"): 54.8, ("rsvp", "en"): 61.4}
TODAY |= {("rsvp", "es"): 65.0}
LANGUAGES = ("en", "es")


@pytest.fixture
def measure(app):
    with time_machine.travel(REVIEW_DAY, tick=False):
        load_demo(app)

        def measuring(name: str, language: str) -> Measured:
            task = next(task for task in TASKS if task.name == name)
            return run(app, task, language)

        yield measuring


def test_digits_and_clock_times_count_as_the_words_a_voice_says():
    assert spoken_words("call 9 1 1 or 911, at 6:30 PM") == 12


def test_a_lone_key_on_a_five_digit_entry_costs_the_whole_timeout_as_on_twilio():
    from app.simulator import Keys
    from app.voice_timing import TimedScript

    entry = '<Response><Gather numDigits="5" finishOnKey="#" timeout="8"/></Response>'

    class Pressing:
        def next_input(self, call, verb):
            return self.keys

    def seconds(keys: str) -> float:
        pressing = Pressing()
        pressing.keys = Keys(keys)
        script = TimedScript(pressing, [entry])
        script.next_input(type("Call", (), {"heard": []})(), "Gather")
        return script.waited

    assert (seconds("0"), seconds("0#"), seconds("94110")) == (9.0, 2.0, 5.0)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_key_works_within_twelve_seconds_of_the_call_starting(measure, language):
    assert measure("first_key", language).timing.seconds <= 12


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_callback_request_is_in_within_forty_seconds(measure, language):
    assert measure("callback", language).timing.seconds <= 40


@pytest.mark.parametrize(("name", "language"), sorted(TODAY))
def test_finding_and_rsvp_are_no_slower_than_today(measure, name, language):
    assert measure(name, language).timing.seconds <= TODAY[(name, language)]


@pytest.mark.xfail(strict=True, reason="issue 18 targets not reached yet: see docs/voice.md")
@pytest.mark.parametrize(("name", "language"), sorted(TODAY))
def test_finding_and_rsvp_meet_the_issue_targets(measure, name, language):
    assert measure(name, language).met


def test_a_silent_caller_is_offered_a_person_in_both_languages_and_never_hung_up_on(measure):
    said = measure("silence", "en").said
    assert "Si quiere que una persona le devuelva la llamada, oprima 0." in said
    assert "If you would like a person to call you back, press 0." in said
    assert said[-3].startswith("A person will call you back at this number")
    assert said[-2] == "You can call us back any time."
