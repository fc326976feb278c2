"""The coordinator console (SPEC §13): ``/console``, server-rendered pages, no outside network.

Every view declares who may open it (``security.roles``); a view without a declaration is
refused, so a new page cannot be left open by mistake. Every POST carries the session's CSRF
token. Words come from ``prompts/*.yaml`` ``console.*``; numbers are shown masked.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, g, request

from app.console import security
from app.extensions import prompts
from app.phones import mask

blueprint = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
)


def language() -> str:
    catalog = prompts()
    return request.accept_languages.best_match(catalog.languages) or "en"


def t(key: str, **params: Any) -> str:
    """A ``console.*`` prompt in the reader's language."""
    return prompts().template(language(), f"console.{key}").format(**params)


@blueprint.app_template_global("t")
def _t(key: str, **params: Any) -> str:
    return t(key, **params)


@blueprint.app_template_global("raw")
def _raw(key: str) -> str:
    """A prompt with its ``{placeholders}`` left in, for the page's script to fill."""
    return prompts().template(language(), f"console.{key}")


@blueprint.context_processor
def _globals() -> dict[str, Any]:
    return {
        "csrf_token": security.csrf_token,
        "mask": mask,
        "user": g.get("user"),
        "lang": language(),
    }


blueprint.before_request(security.guard)
blueprint.after_request(security.headers)


def register(app: Flask) -> None:
    from app.console import (  # noqa: F401 - each module adds its routes to the blueprint
        audit_log,
        auth,
        broadcasting,
        dashboard,
        facilitators,
        group_edit,
        groups,
        members,
        queue,
        reports,
    )

    app.register_blueprint(blueprint)
