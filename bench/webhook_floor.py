"""The floor for ``bench/webhooks.py``: a minimal Flask app that answers every webhook with fixed
TwiML (no signature check, no database, no Redis), served by the same gunicorn settings. What the
line costs beyond it is what the line's own code costs.

    gunicorn --pythonpath bench 'webhook_floor:create_app()'
"""

from __future__ import annotations

from flask import Flask, Response

ORIGIN = "https://line.bench.invalid"
MENU = (
    '<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="'
    + ORIGIN
    + '/twilio/voice/step?t=1" input="dtmf speech" method="POST" numDigits="1" timeout="8">'
    '<Say language="en-US" voice="Polly.Joanna">{}</Say></Gather>'
    '<Redirect method="POST">' + ORIGIN + "/twilio/voice/step?t=1</Redirect></Response>"
)
# The first answer offers the language, as the line's does to a new caller, so that the
# simulated callers send the floor the same requests they send the line.
ANSWER = MENU.format("For English, press 1. Para español, oprima 2.")
STEP = MENU.format("To find a group, press 1.")
SMS = (
    '<?xml version="1.0" encoding="UTF-8"?><Response>'
    "<Message>Reply a number for details, MORE for more.</Message></Response>"
)


def create_app() -> Flask:
    app = Flask(__name__)

    @app.post("/twilio/voice")
    def answer() -> Response:
        return Response(ANSWER, mimetype="text/xml")

    @app.post("/twilio/voice/step")
    def step() -> Response:
        return Response(STEP, mimetype="text/xml")

    @app.post("/twilio/sms")
    def sms() -> Response:
        return Response(SMS, mimetype="text/xml")

    return app
