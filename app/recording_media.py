"""``GET /recordings/<request id>.wav?e=<expiry>&s=<signature>``: a member's message, played by
Twilio's ``<Play>`` into the claiming facilitator's call (SPEC §10).

Twilio does not sign the media it fetches for ``<Play>``, so this is not a ``/twilio/*`` route:
the URL carries its own short-lived signature (bound to the request, its recording and the claim),
issued only inside the holder's call, and the request must still be held when it is fetched.
Anything else is 404, which says nothing. ``phoneline serve`` logs the path without the query.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, request

from app.db import utcnow
from app.extensions import config, db
from app.services import recordings

blueprint = Blueprint("recordings", __name__, url_prefix="/recordings")


@blueprint.get("/<int:callback_id>.wav")
def recording_audio(callback_id: int) -> Response:
    expires = request.args.get("e", default=0, type=int)
    token = request.args.get("s", default="")
    with db().session() as session:
        audio = recordings.playback_audio(
            session, config().secret_key, callback_id, expires, token, utcnow()
        )
    if audio is None:
        abort(404)
    return Response(audio, mimetype="audio/x-wav", headers={"Cache-Control": "no-store"})
