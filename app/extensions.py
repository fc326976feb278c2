"""Typed access to what the factory puts into ``app.extensions``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import redis
from flask import Flask, current_app
from rq import Queue

from app.config import Config
from app.db import Database
from app.prompts import Catalog

if TYPE_CHECKING:
    from app.embedded_redis import EmbeddedRedis
    from app.gateway import Gateway

# Queues in the order a worker serves them: replies to members and alerts ahead of bulk.
QUEUE_NAMES = ("replies", "alerts", "default", "bulk")


@dataclass
class Phoneline:
    config: Config
    db: Database
    redis: redis.Redis
    prompts: Catalog
    queues: dict[str, Queue] = field(default_factory=dict)
    embedded_redis: EmbeddedRedis | None = None
    gateway: Gateway | None = None


def phoneline(app: Flask | None = None) -> Phoneline:
    ext: Phoneline = (app or current_app).extensions["phoneline"]
    return ext


def config() -> Config:
    return phoneline().config


def db() -> Database:
    return phoneline().db


def prompts() -> Catalog:
    return phoneline().prompts


def gateway() -> Gateway:
    """The Twilio gateway; ``Phoneline.gateway`` is optional only so tests can build one by hand."""
    built = phoneline().gateway
    assert built is not None, "create_app() binds the gateway"
    return built
