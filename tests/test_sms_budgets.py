"""Every SMS text within its SPEC §8 budget, filled with the longest values SPEC §5 allows:
English at most 2 GSM-7 segments; Spanish at most 3 in whatever encoding its accents need."""

import pytest

from app.prompts import load_catalog, placeholders
from app.segments import count, is_gsm7
from sms.listing import LIST_PLACE_CHARS

BUDGET = {"en": 2, "es": 3}
CATALOG = load_catalog()
NAME = "N" * 32  # groups[].name, alias: 32 GSM-7 characters
PLACE = "P" * 40  # location.name
ADDRESS = "A" * 60
NOTES = "O" * 60 + "."


def longest(language: str, prefix: str) -> str:
    values = [v for k, v in CATALOG.texts[language].items() if k.startswith(prefix)]
    return max(values, key=len)


def worst_values(language: str) -> dict[str, str]:
    say = CATALOG.texts[language]
    when = say["sms.when"].format(
        weekday=longest(language, "sms.day."),
        month=longest(language, "sms.month."),
        day=30,
        time="12:30 PM",
    )
    # REMINDER_OFFSETS allows four: "3 days, 1 day, 12 hours and 30 minutes".
    first = [say["sms.unit.d"].format(n=3), say["sms.unit.d1"], say["sms.unit.h"].format(n=12)]
    offsets = say["sms.unit.and"].format(
        first=", ".join(first), last=say["sms.unit.m"].format(n=30)
    )
    topic = longest(language, "sms.topic.")
    return {
        "line_name": "Community Support Line",
        "crisis_footer": say["sms.crisis_footer"],
        "crisis_line": say["sms.crisis_line"],
        "name": NAME,
        "place": PLACE,
        "address": ADDRESS,
        "notes": NOTES,
        "topics": f"{topic}, {topic}",
        "schedule": longest(language, "sms.schedule.").format(n=12),
        "when": when,
        "miles": "49.9",
        "n": "12",
        "position": "99",
        "count": "99",
        "last": "99",
        "offsets": offsets,
        "reminders": longest(language, "sms.reminders.").format(offsets=offsets),
        "dial_in": "(415) 555-0999",
        "code": "C" * 20,
        "per_meeting": "6",
        "crisis": say["sms.crisis"].format(line_name="Community Support Line"),
        "confirmation": say["optout.stop"].format(line_name="Community Support Line"),
        "first": "x",
        "last_": "x",
        "weekday": "x",
        "month": "x",
        "day": "30",
        "time": "12:30 PM",
        # Facilitator texts (SPEC §10): a code, a language, every detail at once.
        "member_language": longest(language, "sms.facilitator.language."),
        "details": " "
        + " ".join(
            [
                say["sms.facilitator.part.alias"].format(alias=NAME),
                say["sms.facilitator.part.interpreter"],
                say["sms.facilitator.part.call_only"],
            ]
        ),
        "alias": NAME,
        "open": ", ".join(["123456 ES URGENT"] * 3),
        "more": "99",
        "mine": ", ".join(["123456"] * 3),
    }


def filled(language: str, key: str) -> str:
    template = CATALOG.texts[language][key]
    values = worst_values(language)
    return template.format(**{name: values[name] for name in placeholders(template)})


def within_budget(language: str, text: str) -> bool:
    segments = count(text)
    if language == "en" and not is_gsm7(text):
        return False
    return segments.count <= BUDGET[language]


SMS_KEYS = [k for k in CATALOG.texts["en"] if k.startswith(("sms.", "optout."))]


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("key", SMS_KEYS)
def test_every_sms_text_fits_its_budget_with_the_longest_values(language, key):
    text = filled(language, key)
    assert within_budget(language, text), (key, count(text), text)


@pytest.mark.parametrize("language", ["en", "es"])
def test_three_search_results_and_the_footer_fit_the_budget(language):
    line = filled(language, "sms.search.in_person").replace(PLACE, PLACE[:LIST_PLACE_CHARS])
    text = "\n".join([line] * 3 + [filled(language, "sms.search.more_footer")])
    assert within_budget(language, text), count(text)


@pytest.mark.parametrize("language", ["en", "es"])
def test_one_upcoming_meeting_with_more_and_the_plan_fit_the_budget(language):
    """MY lists as many as fit (see sms.commands); at least one always does."""
    item = filled(language, "sms.my.waitlist_item")
    parts = [item, filled(language, "sms.my.more"), filled(language, "sms.my.footer")]
    assert within_budget(language, "\n".join(parts))


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_crisis_reply_with_an_opt_out_still_fits(language):
    assert within_budget(language, filled(language, "sms.crisis_and_optout"))
