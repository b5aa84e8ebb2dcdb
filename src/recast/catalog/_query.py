"""Questions asked of the catalog on a given day: list, upcoming shutdowns, fuzzy search.

PLACEHOLDER written by the lead so imports work; the catalog-CLI helper replaces it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from recast.catalog._catalog import Catalog
from recast.catalog._model import Model, Offering, State


@dataclass(frozen=True)
class OfferingStatus:
    """An offering seen on one day: its computed state and days left."""

    offering: Offering
    state: State
    days_left: int | None
    as_of: date


def status_of(offering: Offering, as_of: date | None = None) -> OfferingStatus:
    raise NotImplementedError


def list_offerings(
    *,
    provider: str | None = None,
    platform: str | None = None,
    status: State | None = None,
    shutdown_before: date | None = None,
    as_of: date | None = None,
    catalog: Catalog | None = None,
) -> list[OfferingStatus]:
    raise NotImplementedError


def upcoming(
    within_days: int = 90,
    *,
    as_of: date | None = None,
    platform: str | None = None,
    catalog: Catalog | None = None,
) -> list[OfferingStatus]:
    raise NotImplementedError


def search(text: str, *, limit: int = 20, catalog: Catalog | None = None) -> list[Model]:
    raise NotImplementedError
