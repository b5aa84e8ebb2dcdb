"""The plugin hooks recast's providers are registered through (pluggy project ``recast``).

Built-in providers use the same hook as third-party plugins. A plugin is a module with::

    from recast.providers import ProviderKind, hookimpl

    @hookimpl
    def register_providers(register):
        register(ProviderKind(name="echo", create=make_echo_provider))

published under the ``recast`` entry-point group (see docs/providers.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from recast.providers._spec import ProviderKind

hookspec = pluggy.HookspecMarker("recast")
hookimpl = pluggy.HookimplMarker("recast")

#: Modules whose hooks are always loaded, in this order.
BUILTIN = (
    "recast.providers.openai_compat",
    "recast.providers.anthropic",
    "recast.providers.replay",
)


@hookspec
def register_providers(register: Callable[[ProviderKind], None]) -> None:
    """Call ``register(kind)`` for each provider kind (the spec prefix) this plugin adds."""
