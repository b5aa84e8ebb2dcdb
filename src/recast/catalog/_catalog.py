"""The in-memory catalog and how it is loaded: user cache first, else the bundled file."""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

from recast._home import recast_home
from recast.catalog._model import Conflict, Model, Offering, Prices
from recast.errors import CatalogVersionError, SourceError

#: Version of the compiled catalog's JSON layout. Bump when a field is renamed or removed.
CATALOG_SCHEMA_VERSION = 2

BUNDLED_FILE = "catalog.json"
USER_CACHE_FILE = "catalog.json"


#: What the resolver and list views need of one offering without building it:
#: ``(model, platform, platform_id, region)``.
OfferingKey = tuple[str, str, str, str | None]


class Catalog:
    """Every known model and offering, plus the conflicts met while compiling them.

    Offerings are never dropped when a model retires; look them up with
    :func:`recast.catalog.resolve` or :meth:`offerings_of`.

    A catalog read from a file keeps the parsed JSON and builds a :class:`Model` or
    :class:`Offering` only when first asked for it, so a command that shows one model
    (``recast models show``) never pays for the other thousand. ``models`` and
    ``offerings`` build everything on first access.
    """

    def __init__(
        self,
        models: Mapping[str, Model],
        offerings: Iterable[Offering],
        conflicts: Iterable[Conflict] = (),
        built_at: str = "",
        provenance: Iterable[dict[str, Any]] = (),
    ) -> None:
        built = list(offerings)
        self._models: dict[str, Model] | None = dict(models)
        self._model_cache: dict[str, Model] = self._models
        self._raw_models: dict[str, dict[str, Any]] = {}
        self._offerings: list[Offering] | None = built
        self._offering_cache: list[Offering | None] = list(built)
        self._raw_offerings: list[dict[str, Any]] = []
        self._keys: list[OfferingKey] = [
            (o.model, o.platform, o.platform_id, o.region) for o in built
        ]
        self._conflicts: list[Conflict] | None = list(conflicts)
        self._raw_conflicts: list[dict[str, Any]] = []
        self.built_at = built_at
        self.provenance: list[dict[str, Any]] = list(provenance)
        self._by_model: dict[str, list[int]] | None = None
        #: Lazily built indexes (resolver, search) keyed by their owner; see ``_resolve.py``.
        self._memo: dict[str, Any] = {}
        #: The file this catalog was read from, named when a lazily built entry is bad.
        self._origin = ""

    @classmethod
    def _from_raw(cls, data: dict[str, Any]) -> Catalog:
        """A catalog over parsed JSON that builds its objects on first use."""
        catalog = cls(
            {}, (), built_at=data.get("built_at", ""), provenance=data.get("provenance", ())
        )
        raw_models = data["models"]
        raw_offerings = data["offerings"]
        catalog._raw_models = {m["id"]: m for m in raw_models}
        catalog._models = None
        catalog._model_cache = {}
        catalog._raw_offerings = raw_offerings
        catalog._offerings = None
        catalog._offering_cache = [None] * len(raw_offerings)
        catalog._keys = [
            (o["model"], o["platform"], o["platform_id"], o.get("region")) for o in raw_offerings
        ]
        catalog._raw_conflicts = list(data.get("conflicts", ()))
        catalog._conflicts = None
        return catalog

    # -- the public collections, built in full on first access ---------------------------

    @property
    def models(self) -> dict[str, Model]:
        """Every model by canonical id."""
        if self._models is None:
            for model_id in self._raw_models:
                self.model(model_id)
            self._models = self._model_cache
        return self._models

    @property
    def offerings(self) -> list[Offering]:
        """Every offering, in the order of the catalog file."""
        if self._offerings is None:
            self._offerings = [self._offering(i) for i in range(len(self._keys))]
        return self._offerings

    @property
    def conflicts(self) -> list[Conflict]:
        """Where the sources disagreed while compiling, with the value kept."""
        if self._conflicts is None:
            with self._reading("conflicts"):
                self._conflicts = [Conflict.from_dict(c) for c in self._raw_conflicts]
        return self._conflicts

    @conflicts.setter
    def conflicts(self, value: Iterable[Conflict]) -> None:
        """Replace the conflicts (``sync`` keeps old ones that a new source did not touch)."""
        self._conflicts = list(value)
        self._memo.pop("conflicts_by_offering", None)

    # -- lookups that build only what they return ---------------------------------------

    def model(self, model_id: str) -> Model | None:
        """Return the model with this canonical id, or ``None``."""
        model = self._model_cache.get(model_id)
        if model is None and model_id in self._raw_models:
            with self._reading(f"model {model_id!r}"):
                model = Model.from_dict(self._raw_models[model_id])
            self._model_cache[model_id] = model
        return model

    def provider_of(self, model_id: str) -> str | None:
        """Return the maker of a model (canonical id) without building the model."""
        raw = self._raw_models.get(model_id)
        if raw is not None:
            return str(raw["provider"])
        model = self._model_cache.get(model_id)
        return model.provider if model is not None else None

    def _model_names(self) -> list[tuple[str, tuple[str, ...]]]:
        """Every model's canonical id and aliases, read without building the models."""
        names = [(m.id, m.aliases) for m in self._model_cache.values()]
        names += [
            (model_id, tuple(raw.get("aliases", ())))
            for model_id, raw in self._raw_models.items()
            if model_id not in self._model_cache
        ]
        return names

    def offerings_of(self, model_id: str) -> list[Offering]:
        """Return every offering of a model (canonical id), on every platform."""
        if self._by_model is None:
            by_model: dict[str, list[int]] = defaultdict(list)
            for index, key in enumerate(self._keys):
                by_model[key[0]].append(index)
            self._by_model = dict(by_model)
        return [self._offering(i) for i in self._by_model.get(model_id, ())]

    def _offering(self, index: int) -> Offering:
        offering = self._offering_cache[index]
        if offering is None:
            with self._reading(f"offering {index}"):
                offering = Offering.from_dict(self._raw_offerings[index])
            self._offering_cache[index] = offering
        return offering

    @contextmanager
    def _reading(self, what: str) -> Iterator[None]:
        """Turn a bad entry met while building it lazily into a :class:`SourceError`."""
        try:
            yield
        except (KeyError, TypeError, ValueError) as exc:
            raise SourceError(
                f"Catalog file {self._origin or '(in memory)'!r} is malformed at {what} "
                f"({exc!r}). Delete it or run `recast models sync` to rebuild it."
            ) from exc

    def conflicts_of(self, offering: Offering) -> dict[str, Conflict]:
        """The recorded disagreements about one offering's facts, by field.

        An alias shares its target's lifecycle, so it shares its target's conflicts.
        """
        index = self._memo.get("conflicts_by_offering")
        if index is None:
            index = defaultdict(dict)
            for conflict in self.conflicts:
                index[(conflict.platform, conflict.platform_id.lower())][conflict.field] = conflict
            self._memo["conflicts_by_offering"] = index
        key = (offering.platform, (offering.alias_of or offering.platform_id).lower())
        found: dict[str, Conflict] = index.get(key, {})
        return dict(found)

    def prices_for(self, offering: Offering) -> Prices | None:
        """Return the offering's own prices, else its model's."""
        if offering.prices is not None:
            return offering.prices
        model = self.model(offering.model)
        return model.prices if model else None

    @property
    def platforms(self) -> list[str]:
        """Every platform that has at least one offering, sorted."""
        return sorted({key[1] for key in self._keys})

    def __iter__(self) -> Iterator[Offering]:
        return iter(self.offerings)

    def __len__(self) -> int:
        return len(self._keys)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Catalog):
            return NotImplemented
        return (self.models, self.offerings, self.conflicts, self.built_at, self.provenance) == (
            other.models,
            other.offerings,
            other.conflicts,
            other.built_at,
            other.provenance,
        )

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dataclass it was

    def __repr__(self) -> str:
        return (
            f"Catalog({len(self._keys)} offerings of {len(self._raw_models or self._model_cache)}"
            f" models, built_at={self.built_at!r})"
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON layout of ``catalog.json`` (sorted, so files diff well)."""
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
        """Read the JSON layout of ``catalog.json``; objects are built on first use.

        Raises :class:`SourceError` when the layout is another schema version.
        """
        version = data.get("schema_version")
        if version != CATALOG_SCHEMA_VERSION:
            raise CatalogVersionError(
                f"Catalog file has schema_version {version!r}, expected {CATALOG_SCHEMA_VERSION}. "
                "Run `recast models sync` to rebuild it."
            )
        return cls._from_raw(data)

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
            offerings=offerings,
            conflicts=conflicts,
            built_at=datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
            provenance=provenance,
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
        catalog = Catalog.from_dict(data)
    except FileNotFoundError as exc:
        raise SourceError(f"Catalog file {str(path)!r} does not exist.") from exc
    except CatalogVersionError as exc:
        raise CatalogVersionError(f"{str(path)!r}: {exc}") from exc
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
    catalog._origin = str(path)
    return catalog


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


def read_user_cache_or_bundled(cache: Path) -> Catalog:
    """The user cache if there is one this recast can read, else the bundled catalog.

    A cache written by another version of recast (another ``schema_version``) is set aside
    with a one-line warning on stderr rather than locking every command, ``sync``
    included, out: the next ``recast models sync`` replaces it.
    """
    if cache.exists():
        try:
            return read_catalog_file(cache)
        except CatalogVersionError as exc:
            import sys

            print(f"recast: {exc} Using the bundled catalog until then.", file=sys.stderr)
    return read_catalog_file(bundled_path())


@lru_cache(maxsize=1)
def _load_default() -> Catalog:
    return read_user_cache_or_bundled(user_cache_path())


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
