"""Id resolution: every form of model id seen in the wild, to catalog offerings.

PLACEHOLDER written by the lead so imports work; the resolver helper replaces it.
"""

from __future__ import annotations

from dataclasses import dataclass

from recast.catalog._catalog import Catalog
from recast.catalog._model import Offering


@dataclass(frozen=True)
class ParsedId:
    """What the text of an id says before the catalog is consulted."""

    text: str
    base: str
    platform: str | None = None
    region: str | None = None


def parse_id(text: str) -> ParsedId:
    """Split an id into platform hints, region and the base model id."""
    raise NotImplementedError


def resolve(
    text: str, platform: str | None = None, *, catalog: Catalog | None = None
) -> list[Offering]:
    """Return every offering that ``text`` names (on ``platform`` if given); ``[]`` if none."""
    raise NotImplementedError


def lookup(model_id: str, platform: str | None = None, *, catalog: Catalog | None = None) -> Offering:
    """Return the single best offering for an id; raise UnknownModelError with suggestions."""
    raise NotImplementedError
