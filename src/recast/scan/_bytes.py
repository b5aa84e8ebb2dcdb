"""RE2 on the UTF-8 bytes of a text, with match positions given back in characters.

google-re2's ``str`` wrapper encodes the whole text again on every call and re-maps every
group of every match in Python (12 us a match with the evidence table's 22 groups); on
bytes a match costs a C call. A text is encoded once (:class:`Utf8`) and shared by the
passes over it; positions are mapped back only for non-ASCII text, in one forward walk.
"""

from __future__ import annotations

import re
from typing import Any


def compile_bytes(pattern: str) -> Any:
    """``pattern`` compiled for bytes: RE2 (linear time) when installed, else ``re``."""
    try:
        import re2  # type: ignore[import-untyped]

        return re2.compile(pattern.encode())
    except ImportError:  # pragma: no cover - platforms without google-re2 wheels
        return re.compile(pattern.encode())


class Utf8:
    """A text, its UTF-8 bytes, and byte offsets turned into character offsets.

    :meth:`char` is fastest when called with offsets in increasing order (each call walks
    on from the last one); a smaller offset starts again from the beginning."""

    __slots__ = ("_byte", "_char", "ascii", "data", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.data = text.encode("utf-8", "surrogatepass")
        self.ascii = len(self.data) == len(text)
        self._byte = self._char = 0

    def char(self, offset: int) -> int:
        """The character offset of byte ``offset`` (a character boundary)."""
        if self.ascii:
            return offset
        if offset < self._byte:
            self._byte = self._char = 0
        self._char += len(self.data[self._byte : offset].decode("utf-8", "surrogatepass"))
        self._byte = offset
        return self._char
