"""Catalog tests must not depend on the day they run, except through an explicit ``as_of``.

To check that, run them as on another day::

    RECAST_TEST_TODAY=2031-06-15 .venv/bin/python -m pytest tests/catalog -q

``RECAST_TEST_TODAY`` makes every in-process "today" (the default of ``--as-of`` and
``as_of=``, sync's access dates) that day. Unset, tests run against the real clock.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _today_from_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    wanted = os.environ.get("RECAST_TEST_TODAY")
    if wanted:
        day = datetime.date.fromisoformat(wanted)

        class _Date(datetime.date):
            @classmethod
            def today(cls) -> _Date:
                return cls(day.year, day.month, day.day)

        import recast.catalog._query
        import recast.catalog._sync
        import recast.cli._common

        for module in (recast.catalog._query, recast.catalog._sync, recast.cli._common):
            monkeypatch.setattr(module, "date", _Date)
    yield
