"""The flow definitions, the validator that guards them, and the pure engine, table-driven."""

from dataclasses import replace

import pytest

from app.prompts import load_catalog
from call_flows import engine
from call_flows.definitions import flows
from call_flows.engine import CallState, Heard
from call_flows.nodes import Choice, Hangup, Menu, Say
from call_flows.validate import validate

LANGUAGES = ["en", "es"]


@pytest.fixture
def table():
    return flows(LANGUAGES)


def test_the_shipped_definitions_are_valid(table):
    assert validate(table) == []


def _mutate(table, name, **changes):
    return {**table, name: replace(table[name], **changes)}


MUTATIONS = {
    "a target that does not exist": lambda t: _mutate(t, "narrow", back="nowhere"),
    "a node nobody can reach": lambda t: {**t, "island": Say("island", "voice.invalid", "main")},
    "an action that is not a function": lambda t: _mutate(t, "search", run="no_such_action"),
    "a menu without a way out of silence": lambda t: _mutate(t, "day", on_timeout=""),
    "a menu without star": lambda t: _mutate(t, "day", back=""),
    "a choice on a global key": lambda t: _mutate(
        t, "day", choices=(*t["day"].choices[:2], Choice("8", "voice.find.weekend", "main"))
    ),
    "five choices": lambda t: _mutate(
        t,
        "main",
        choices=(*t["main"].choices, Choice("5", "voice.main.find", "find_zip")),
    ),
    "a skipped number": lambda t: _mutate(
        t, "day", choices=(t["day"].choices[0], replace(t["day"].choices[1], key="3"))
    ),
    "an entry with no way back": lambda t: _mutate(t, "find_zip", back=""),
    "a hang-up without goodbye": lambda t: _mutate(t, "goodbye", prompts=("voice.invalid",)),
    "a loop that never waits": lambda t: _mutate(t, "zip_short", next="zip_short"),
}


@pytest.mark.parametrize("rule", list(MUTATIONS))
def test_each_rule_of_the_validator_catches_its_mutation(table, rule):
    assert validate(MUTATIONS[rule](table)) != []


def test_every_menu_offers_at_most_four_choices_numbered_from_one(table):
    for node in table.values():
        if isinstance(node, Menu) and not node.outbound:
            assert [c.key for c in node.choices] == [
                str(n) for n in range(1, len(node.choices) + 1)
            ]


def _at(table, name, **vars):
    state = CallState(node=name, vars=dict(vars))
    return state


STEPS = [
    # (menu, what the caller did, facts, node the caller lands on, first thing they hear)
    ("main", Heard("key", "1"), set(), "find_zip", None),
    ("main", Heard("key", "9"), set(), "main", None),
    ("main", Heard("key", "*"), set(), "main", None),
    ("day", Heard("key", "*"), set(), "narrow", None),
    ("day", Heard("key", "8"), set(), "crisis_info", None),
    ("day", Heard("key", "0"), set(), "callback", None),
    ("day", Heard("key", "#"), set(), "day", "voice.slower"),
    ("day", Heard("key", "7"), set(), "day", "voice.invalid"),
    ("day", Heard("nothing"), set(), "day", "voice.invalid"),
    ("day", Heard("silence"), set(), "day", "voice.take_your_time"),
    ("day", Heard("crisis"), set(), "crisis_match", None),
    ("day", Heard("stop"), set(), "gate_stop", None),
    ("result", Heard("key", "2"), set(), "result", "voice.not_available"),
    ("result", Heard("key", "2"), {"can_text"}, "text_details", None),
    ("find_zip", Heard("data", "94110"), set(), "check_zip", None),
    ("find_zip", Heard("data", "94*"), set(), "main", None),
    ("find_zip", Heard("key", "8"), set(), "crisis_info", None),
    ("callback_record", Heard("silence"), set(), "callback_recorded", None),
]


@pytest.mark.parametrize(("menu", "heard", "facts", "lands", "hears"), STEPS)
def test_the_engine_moves_as_the_table_says(table, menu, heard, facts, lands, hears):
    turn = engine.step(table, _at(table, menu), heard, frozenset(facts))
    assert turn.state.node == lands
    assert (turn.said[0].key if turn.said else None) == hears


@pytest.mark.parametrize(
    ("node", "heard", "said"),
    [
        ("day", Heard("nothing"), ["voice.invalid", "voice.crisis_line"]),
        ("find_zip", Heard("nothing"), ["voice.invalid", "voice.crisis_line"]),
        ("main", Heard("nothing"), ["voice.invalid"]),  # its intro says 8 already
        ("crisis_info", Heard("nothing"), ["voice.invalid"]),
        ("reminder_menu", Heard("nothing"), ["voice.invalid"]),
        ("day", Heard("key", "7"), ["voice.invalid"]),  # a key is not words we missed
    ],
)
def test_words_the_line_could_not_use_get_the_crisis_line_where_none_is_said(
    table, node, heard, said
):
    turn = engine.step(table, _at(table, node), heard, frozenset())
    assert [utterance.key for utterance in turn.said] == said


def test_the_language_menu_says_sorry_and_the_crisis_line_in_every_language(table):
    turn = engine.step(table, _at(table, "language"), Heard("nothing"), frozenset())
    assert [(u.key, u.language) for u in turn.said] == [
        ("voice.invalid", "en"),
        ("voice.invalid", "es"),
        ("voice.crisis_call", "en"),
        ("voice.crisis_call", "es"),
    ]


def test_the_second_unusable_answer_offers_a_person_and_the_third_leaves_the_menu(table):
    state = _at(table, "main")
    engine.step(table, state, Heard("key", "7"), frozenset())
    second = engine.step(table, state, Heard("key", "7"), frozenset())
    assert second.said[-1].key == "voice.stuck_offer" and second.state.node == "main"
    third = engine.step(table, state, Heard("key", "7"), frozenset())
    assert third.state.node == "stuck"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_prompts_that_spare_the_crisis_line_do_say_eight(language):
    for key in engine.SAYS_CRISIS:
        assert "8" in load_catalog().template(language, key), key


def test_star_on_crisis_information_returns_to_where_the_caller_was(table):
    state = _at(table, "day")
    engine.step(table, state, Heard("key", "8"), frozenset())
    turn = engine.step(table, state, Heard("key", "*"), frozenset())
    assert turn.state.node == "day"


def test_two_silences_reprompt_and_the_third_leaves_the_menu(table):
    state = _at(table, "day")
    for _ in range(2):
        assert engine.step(table, state, Heard("silence"), frozenset()).reprompt
    assert engine.step(table, state, Heard("silence"), frozenset()).state.node == "main"


def test_three_invalid_keys_leave_the_menu(table):
    state = _at(table, "day")
    for _ in range(2):
        engine.step(table, state, Heard("key", "6"), frozenset())
    assert engine.step(table, state, Heard("key", "6"), frozenset()).state.node == "main"


def test_a_choice_not_available_is_not_announced(table):
    asked = engine.prompts_for(table["result"], CallState(), frozenset({"has_number"}), False)
    assert [u.key for u in asked] == ["voice.find.rsvp"]


def test_the_pound_key_doubles_waits_for_the_rest_of_the_call(table):
    state = _at(table, "day")
    engine.step(table, state, Heard("key", "#"), frozenset())
    engine.step(table, state, Heard("key", "*"), frozenset())
    assert state.slow


def test_every_hangup_ends_with_the_goodbye(table):
    for node in table.values():
        if isinstance(node, Hangup):
            assert node.prompts[-1] == "voice.goodbye"
