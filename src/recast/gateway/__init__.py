"""recast.gateway: an OpenAI-compatible gateway that makes a model switch a config change.

Aliases, lifecycle policies (warn, redirect, block), canary splits, shadow traffic to
candidates, fallbacks, RFC 9745/8594 deprecation headers, and traffic capture into the
store that ``recast audition --from-store`` replays. ``recast serve`` runs it.

Example::

    >>> from recast.gateway import Gateway, load_config
    >>> app = Gateway(load_config("gateway.yaml"))   # an ASGI application
"""

from __future__ import annotations

from recast.gateway._app import CaptureSink, Exchange, Gateway, KeyVerifier, error_body
from recast.gateway._config import (
    CaptureConfig,
    GatewayConfig,
    Route,
    UpstreamConfig,
    load_config,
    parse_config,
)
from recast.gateway._lifecycle import ModelLifecycle, lifecycle_of, sunset_value
from recast.gateway._metrics import Metrics
from recast.gateway._routing import Decision, Router
from recast.gateway._server import Runtime, ServeOptions, check_config, serve

__all__ = [
    "CaptureConfig",
    "CaptureSink",
    "Decision",
    "Exchange",
    "Gateway",
    "GatewayConfig",
    "KeyVerifier",
    "Metrics",
    "ModelLifecycle",
    "Route",
    "Router",
    "Runtime",
    "ServeOptions",
    "UpstreamConfig",
    "check_config",
    "error_body",
    "lifecycle_of",
    "load_config",
    "parse_config",
    "serve",
    "sunset_value",
]
