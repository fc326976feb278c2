"""Voice: flow definitions as data, a pure step engine, the TwiML renderer, the webhook views."""
