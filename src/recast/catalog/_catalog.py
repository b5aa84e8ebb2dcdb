"""The in-memory catalog and how it is loaded: user cache first, else the bundled file."""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

from recast._home import recast_home
from recast.catalog._model import Conflict, Model, Offering, Prices
from recast.errors import SourceError

#: Version of the compiled catalog's JSON layout. Bump when a field is renamed or removed.
CATALOG_SCHEMA_VERSION = 1

BUNDLED_FILE = "catalog.json"
USER_CACHE_FILE = "catalog.json"


@dataclass
class Catalog:
    """Every known model and offering, plus the conflicts met while compiling them.

    Offerings are never dropped when a model retires; look them up with
    :func:`recast.catalog.resolve` or :meth:`offerings_of`.
    """

    models: dict[str, Model]
    offerings: list[Offering]
    conflicts: list[Conflict] = field(default_factory=list)
    built_at: str = ""
    provenance: list[dict[str, Any]] = field(default_factory=list)
    _by_model: dict[str, list[Offering]] = field(default_factory=dict, repr=False)
    #: Lazily built indexes (resolver, search) keyed by their owner; see ``_resolve.py``.
    _memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_model: dict[str, list[Offering]] = defaultdict(list)
        for offering in self.offerings:
            by_model[offering.model].append(offering)
        self._by_model = dict(by_model)

    def __iter__(self) -> Iterator[Offering]:
        return iter(self.offerings)

    def __len__(self) -> int:
        return len(self.offerings)

    def model(self, model_id: str) -> Model | None:
        """Return the model with this canonical id, or ``None``."""
        return self.models.get(model_id)

    def offerings_of(self, model_id: str) -> list[Offering]:
        """Return every offering of a model (canonical id), on every platform."""
        return list(self._by_model.get(model_id, ()))

    def prices_for(self, offering: Offering) -> Prices | None:
        """Return the offering's own prices, else its model's."""
        if offering.prices is not None:
            return offering.prices
        model = self.models.get(offering.model)
        return model.prices if model else None

    @property
    def platforms(self) -> list[str]:
        """Every platform that has at least one offering, sorted."""
        return sorted({o.platform for o in self.offerings})

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": CATALOG_SCHEMA_VERSION,
            "built_at": self.built_at,
            "provenance": self.provenance,
            "models": [m.to_dict() for m in sorted(self.models.values(), key=lambda m: m.id)],
            "offerings": [
                o.to_dict()
                for o in sorted(self.offerings, key=lambda o: (o.model, o.platform, o.platform_id))
            ],
            "conflicts": [c.to_dict() for c in self.conflicts],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Catalog:
        version = data.get("schema_version")
        if version != CATALOG_SCHEMA_VERSION:
            raise SourceError(
                f"Catalog file has schema_version {version!r}, expected {CATALOG_SCHEMA_VERSION}. "
                "Run `recast models sync` to rebuild it."
            )
        models = {m["id"]: Model.from_dict(m) for m in data["models"]}
        return cls(
            models=models,
            offerings=[Offering.from_dict(o) for o in data["offerings"]],
            conflicts=[Conflict.from_dict(c) for c in data.get("conflicts", ())],
            built_at=data.get("built_at", ""),
            provenance=list(data.get("provenance", ())),
        )

    @classmethod
    def build(
        cls,
        models: Iterable[Model],
        offerings: Iterable[Offering],
        conflicts: Iterable[Conflict] = (),
        provenance: Iterable[dict[str, Any]] = (),
    ) -> Catalog:
        """Assemble a catalog, stamping it with the current time."""
        return cls(
            models={m.id: m for m in models},
            offerings=list(offerings),
            conflicts=list(conflicts),
            built_at=datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
            provenance=list(provenance),
        )


def user_cache_path() -> Path:
    """Where `recast models sync` writes the refreshed catalog."""
    return recast_home() / USER_CACHE_FILE


def bundled_path() -> Path:
    """The compiled catalog shipped inside the package."""
    # Beside this module (not importlib.resources, which costs ~15 ms to import at start-up).
    return Path(__file__).resolve().parent / "data" / BUNDLED_FILE


def read_catalog_file(path: Path) -> Catalog:
    """Read a compiled catalog file; raise :class:`SourceError` naming the file if it is bad."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        return Catalog.from_dict(data)
    except FileNotFoundError as exc:
        raise SourceError(f"Catalog file {str(path)!r} does not exist.") from exc
    except json.JSONDecodeError as exc:
        raise SourceError(
            f"Catalog file {str(path)!r} is corrupt (line {exc.lineno}: {exc.msg}). "
            "Delete it or run `recast models sync` to rebuild it."
        ) from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise SourceError(
            f"Catalog file {str(path)!r} is malformed ({exc!r}). "
            "Delete it or run `recast models sync` to rebuild it."
        ) from exc


def write_catalog_file(catalog: Catalog, path: Path) -> None:
    """Write a catalog atomically: a temporary file in the same folder, then a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(catalog.to_dict(), handle, ensure_ascii=False, separators=(",", ":"))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


@lru_cache(maxsize=1)
def _load_default() -> Catalog:
    cache = user_cache_path()
    if cache.exists():
        return read_catalog_file(cache)
    return read_catalog_file(bundled_path())


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Return the catalog: ``path`` if given, else the user cache, else the bundled one.

    The default catalog is loaded once per process; call :func:`reset_catalog_cache`
    after `sync` writes a new one.
    """
    if path is not None:
        return read_catalog_file(Path(path))
    return _load_default()


def reset_catalog_cache() -> None:
    """Forget the catalog loaded by :func:`load_catalog`, so the next call rereads it."""
    _load_default.cache_clear()
