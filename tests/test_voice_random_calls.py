"""Callers who press anything: the flows never strand them, and no step fails."""

import random
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st

from app.services import schedules, zips
from call_flows import engine
from call_flows.definitions import flows
from call_flows.engine import CallState, Heard
from call_flows.nodes import Hangup
from tests import factories
from tests.call_runner import every_voice_document_is_checked, run_call  # noqa: F401

TABLE = flows(["en", "es"])
NOW = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)
PRESSES = ["1", "2", "3", "4", "9", "*", "0", "8", "#", "7", None, "94110", "4155550123"]
WORDS = ["say: find a group", "say: crisis", "say: back", "say: stop calling me", "say: yes"]

heard = st.one_of(
    st.sampled_from(["1", "2", "3", "4", "5", "9", "*", "0", "8", "#"]).map(
        lambda k: Heard("key", k)
    ),
    st.sampled_from(["94110", "02139", "1234", "*"]).map(lambda d: Heard("data", d)),
    st.sampled_from(["silence", "crisis", "stop", "nothing"]).map(lambda k: Heard(k)),  # type: ignore[arg-type]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(heard, st.integers(0, 9)), max_size=40))
def test_the_engine_always_rests_on_a_node_that_waits_or_says_goodbye(inputs):
    state = CallState()
    turn = engine.start(TABLE, state)
    for what, pick in inputs:
        while turn.run is not None:
            routes = sorted(turn.run.routes)
            turn = engine.resume(TABLE, state, routes[pick % len(routes)], turn.said)
        node = engine.waiting(TABLE, state)
        if isinstance(node, Hangup):
            assert node.prompts[-1] == "voice.goodbye"
            return
        turn = engine.step(TABLE, state, what, frozenset({"can_text", "has_number"}))


@pytest.mark.parametrize("seed", range(12))
def test_random_callers_never_hear_an_apology(twilio, session, seed):
    for zip_code, name in (("94110", "Hope Circle"), ("94110", "Calm Together")):
        place = zips.locate(zip_code)
        group = factories.group(
            session, name=name, latitude=place.latitude, longitude=place.longitude, capacity=1
        )
        schedules.materialise(session, group, NOW - timedelta(days=1))
    session.commit()
    chooser = random.Random(seed)
    script = [(chooser.choice(PRESSES + WORDS), None) for _ in range(40)]
    caller = chooser.choice(["+14155550100", "anonymous"])
    with time_machine.travel(NOW, tick=False):
        stir = chooser.choice([None, "TN-Validation-Passed-A"])
        call = run_call(twilio, script, caller=caller, stir=stir, whole_script=False)
    assert "something went wrong" not in call.said
