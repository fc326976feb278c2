"""One webhook request of a call: load the call's state, hear the caller, step the engine, run
the actions it stops at, render what comes next, keep the state.

A call's state lives in Redis under its CallSid for a few hours. It holds no speech and no
caller number. A number keyed in by a caller who withheld caller ID is kept sealed
(``CallContext.seal_number``) from its read-back until the callback request is filed, then
dropped; while the state holds it, the state lives ``KEYED_NUMBER_TTL_SECONDS`` after the last
step, not hours (review L5). Losing the state mid-call starts the caller again at the notice: a
call is the one thing that cannot be rebuilt from the database, and the notice is the safe place.

A call that has ended is never started again (security review M2): every answered CallSid
leaves a tombstone in the database and, for a few days, a marker in Redis. A request for a
tombstoned call with no state is a replay when the marker is there (the call ended) or the
tombstone is older than the marker's lifetime; it hears a short goodbye, not the menus. Without
the marker and with a recent tombstone, Redis lost everything mid-call: the notice, as before.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from datetime import timedelta
from functools import cache

from twilio.twiml.voice_response import VoiceResponse

from app.prompts import Catalog
from app.services import answering_machines, audit, tombstones
from call_flows import actions, engine, hearing, speaking
from call_flows.context import CallContext, facts
from call_flows.definitions import APOLOGY, GOODBYE_NODE, flows
from call_flows.engine import CallState, Turn, Utterance
from call_flows.nodes import Hangup, Menu, Node, Waiting
from call_flows.render import Page, render

log = logging.getLogger(__name__)

STATE_TTL_SECONDS = 4 * 60 * 60
# Every step of a call rewrites its state, and no wait inside a call (a menu, a 2-minute message)
# comes near this: enough for the call, not for a forgotten copy of a number to linger.
KEYED_NUMBER_TTL_SECONDS = 20 * 60
KEYED_VARS = ("typed_number", "callback_number")
# Longer than any call (state lives 4 hours past the last request), short enough to forget.
ANSWERED_MARK = timedelta(days=3)
# What a person does and an answering machine cannot: a key, or words the line understood.
PERSON_HEARD = frozenset({"key", "data", "crisis", "stop", "topic"})
NOTICE = "voice.notice"  # not an emergency line, 911, 988 (SPEC §6)


@cache
def definitions(languages: tuple[str, ...]) -> dict[str, Node]:
    from call_flows.validate import validate_or_raise

    table = flows(list(languages))
    validate_or_raise(table)
    return table


def table_for(catalog: Catalog) -> dict[str, Node]:
    return definitions(tuple(catalog.languages))


def answer(
    ctx: CallContext, base_url: str, start_at: str | None = None, **variables: object
) -> VoiceResponse:
    """A call's first request: the notice, then the language choice or the main menu."""
    if _ended_before(ctx):
        log.info("voice request for an ended call refused")
        return _goodbye(ctx, base_url)
    _mark_answered(ctx)
    table = table_for(ctx.catalog)
    state = CallState(vars=dict(variables))
    turn = engine.go(table, state, start_at, []) if start_at else engine.start(table, state)
    return _finish(ctx, table, turn, base_url)


def step(
    ctx: CallContext, form: Mapping[str, str], base_url: str, turn_asked: int | None = None
) -> VoiceResponse:
    table = table_for(ctx.catalog)
    state = load_state(ctx)
    if state is None or state.node not in table:
        return answer(ctx, base_url)
    node = engine.waiting(table, state)
    if turn_asked is not None and turn_asked != state.turn:
        # A request Twilio retried after we already answered it: ask again, change nothing,
        # so a retried "yes" cannot open a second callback request.
        return _finish(ctx, table, Turn(state, []), base_url, keep=False)
    heard = hearing.hear(node, form, ctx.catalog, state.language)
    if heard.kind in PERSON_HEARD:
        answering_machines.note_a_person(ctx.redis, ctx.call_sid)
    if heard.match is not None:
        # Every spoken match plays the crisis information: it is always answered.
        audit.crisis_match(
            ctx.session, "voice", heard.match, request_id=None, answered=True, now=ctx.now
        )
    turn = engine.step(table, state, heard, facts(ctx, state))
    return _finish(ctx, table, turn, base_url)


def apology(ctx: CallContext, base_url: str) -> VoiceResponse:
    """Any error inside a step: an apology, the callback offer, goodbye (SPEC §7.9), in the
    call's language, or in every language when the call's language is not known. A call the
    line knows nothing about may not have heard the safety notice yet (the database was down
    when it was answered), so it hears the notice first (SPEC §6)."""
    table = table_for(ctx.catalog)
    known = _known_state(ctx)
    if known is not None:
        state = CallState(node=APOLOGY, language=known.language)
        return _finish(ctx, table, engine.go(table, state, APOLOGY, []), base_url, keep=False)
    node = table[APOLOGY]
    assert isinstance(node, Hangup)
    keys = (NOTICE, *node.prompts)
    said = [Utterance(key, language=code) for code in ctx.catalog.languages for key in keys]
    page = _page(ctx, CallState(), node, base_url)
    return render(Hangup(APOLOGY, ()), said, [], page)


def _ended_before(ctx: CallContext) -> bool:
    if load_state(ctx) is not None:
        return False  # a live call: Twilio retrying its first request, answered again
    seen = tombstones.seen_on(ctx.session, ctx.call_sid, ctx.config.secret_key)
    if seen is None:
        return False
    if ctx.redis.exists(_answered_key(ctx.call_sid)):
        return True
    return seen <= (ctx.now - ANSWERED_MARK).date()


def _mark_answered(ctx: CallContext) -> None:
    tombstones.record(ctx.session, tombstones.CALL, ctx.call_sid, ctx.config.secret_key, ctx.now)
    lasts = int(ANSWERED_MARK.total_seconds())
    ctx.redis.set(_answered_key(ctx.call_sid), "1", ex=lasts, nx=True)


def _goodbye(ctx: CallContext, base_url: str) -> VoiceResponse:
    """Goodbye in every language: nothing about the caller, not even theirs."""
    table = table_for(ctx.catalog)
    node = table[GOODBYE_NODE]
    assert isinstance(node, Hangup)
    said = [Utterance(key, language=code) for code in ctx.catalog.languages for key in node.prompts]
    return render(Hangup(GOODBYE_NODE, ()), said, [], _page(ctx, CallState(), node, base_url))


def _known_state(ctx: CallContext) -> CallState | None:
    try:
        return load_state(ctx)
    except Exception:  # noqa: BLE001 - Redis being down must not stop the apology
        return None


def _finish(
    ctx: CallContext, table: dict[str, Node], turn: Turn, base_url: str, keep: bool = True
) -> VoiceResponse:
    while turn.run is not None:
        outcome = actions.run(turn.run.run, ctx, turn.state, turn.run.arg)
        turn = engine.resume(table, turn.state, outcome.route, turn.said + outcome.said)
    state = turn.state
    node = engine.waiting(table, state)
    known = frozenset() if isinstance(node, Hangup) else facts(ctx, state)
    asked = engine.prompts_for(node, state, known, short=turn.reprompt)
    if keep:
        state.turn += 1
        _keep_state(ctx, state, ended=isinstance(node, Hangup))
    page = _page(ctx, state, node, base_url)
    return render(node, turn.said, asked, page)


def _page(ctx: CallContext, state: CallState, node: Waiting, base_url: str) -> Page:
    hints = hearing.hints(node, ctx.catalog, state.language)
    if isinstance(node, Menu):
        # The language menu is heard in every language: each choice brings its own words.
        for choice in node.choices:
            if choice.language:
                hints += hearing.spelled(ctx.catalog, choice.language, "voice.words.this_language")
    common = {
        "line_name": ctx.config.line_name,
        "line_number": speaking.phone(ctx.config.phone_number),
    }
    return Page(
        catalog=ctx.catalog,
        language=state.language,
        step_url=f"{base_url}/twilio/voice/step?t={state.turn}",
        recording_status_url=f"{base_url}/twilio/status/recording",
        common=common,
        hints=hints,
        slow=state.slow,
    )


def _key(call_sid: str) -> str:
    # Hashed: a CallSid is whatever the request carried, and nothing a request sends may
    # become readable text in Redis (a forged one could be a phone number).
    return f"phoneline:call:{_sid_digest(call_sid)}"


def _answered_key(call_sid: str) -> str:
    return f"phoneline:answered:{_sid_digest(call_sid)}"


def _sid_digest(call_sid: str) -> str:
    return hashlib.sha256(call_sid.encode()).hexdigest()[:32]


def load_state(ctx: CallContext) -> CallState | None:
    raw = ctx.redis.get(_key(ctx.call_sid))
    return CallState.from_dict(json.loads(raw)) if raw else None


def _keep_state(ctx: CallContext, state: CallState, ended: bool) -> None:
    if ended:
        ctx.redis.delete(_key(ctx.call_sid))
        return
    keyed = any(name in state.vars for name in KEYED_VARS)
    ttl = KEYED_NUMBER_TTL_SECONDS if keyed else STATE_TTL_SECONDS
    ctx.redis.set(_key(ctx.call_sid), json.dumps(state.to_dict()), ex=ttl)
