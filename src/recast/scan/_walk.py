"""Walk a tree fast and read each file once: ignore files, vendored folders, binaries, encodings.

Rules (documented in docs/scan.md):

- ``.gitignore`` files (nested ones too, and those of parent folders up to the repository
  root) and ``.recastignore`` files (same syntax) are honoured; so are ``exclude`` globs
  from the configuration.
- Vendored and generated folders (:data:`VENDORED_DIRS`) and files (:data:`VENDORED_FILES`:
  minified bundles, lock files, data files) are skipped unless ``include_vendored``.
  ``.git`` is always skipped.
- Symbolic links met while walking are not followed (so there are no loops); a path given
  explicitly is always scanned, even if it is a link or ignored.
- Files with a NUL byte in their first 8 KiB (and no UTF-16 byte order mark) are binary
  and skipped; so are files over ``max_file_bytes`` (5 MB by default).
- Text is decoded as UTF-8 (a BOM is kept track of), UTF-16 with a BOM, else Latin-1 with a
  note, so no file is ever refused for its encoding.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from recast.scan._finding import SkippedFile

if TYPE_CHECKING:
    import pathspec


def _words(text: str) -> list[str]:
    return text.split()


#: Folders skipped unless ``include_vendored`` (``.git`` and friends always are).
VENDORED_DIRS: frozenset[str] = frozenset(
    {
        "node_modules",
        "bower_components",
        "jspm_packages",
        ".venv",
        "venv",
        ".virtualenv",
        "env.d",
        "vendor",
        "third_party_vendored",
        "dist",
        "build",
        "target",
        "out",
        "__pycache__",
        ".tox",
        ".nox",
        "site-packages",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".hypothesis",
        ".eggs",
        ".next",
        ".nuxt",
        ".svelte-kit",
        ".terraform",
        ".gradle",
        ".cache",
        "htmlcov",
        "coverage",
        ".ipynb_checkpoints",
    }
)
#: Version-control folders: never scanned.
ALWAYS_SKIPPED_DIRS: frozenset[str] = frozenset({".git", ".hg", ".svn", ".jj"})
#: Generated or data files skipped unless ``include_vendored`` (suffix match, lower case).
VENDORED_FILES: tuple[str, ...] = (
    ".min.js",
    ".min.mjs",
    ".min.css",
    ".bundle.js",
    ".chunk.js",
    ".map",
    ".log",
    "package-lock.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "poetry.lock",
    "uv.lock",
    "pdm.lock",
    "pipfile.lock",
    "cargo.lock",
    "gemfile.lock",
    "composer.lock",
    "go.sum",
    "bun.lockb",
)
#: Extensions that are binary for sure: skipped without reading.
BINARY_EXTENSIONS: frozenset[str] = frozenset(
    _words(
        """png jpg jpeg gif bmp ico webp svg tif tiff psd svgz
    pdf zip gz tgz bz2 xz zst 7z rar tar whl
    egg jar war class so dylib dll exe o a lib obj pyc pyo pyd wasm woff woff2 ttf otf eot mp3
    mp4 m4a mov avi mkv wav ogg flac webm db sqlite sqlite3 bin pkl pickle pt pth onnx npy npz
    parquet arrow feather h5 hdf5 safetensors gguf ckpt dat iso dmg deb rpm msi apk"""
    )
)

DEFAULT_MAX_FILE_BYTES = 5 * 1024 * 1024
IGNORE_FILES = (".gitignore", ".recastignore")
_BINARY_SNIFF = 8192


@dataclass(frozen=True)
class WalkOptions:
    """What the walk skips. ``exclude`` holds gitignore-style globs relative to the root."""

    include_vendored: bool = False
    exclude: tuple[str, ...] = ()
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    use_ignore_files: bool = True
    #: In a git work tree, read what git tracks plus untracked files it does not ignore.
    use_git: bool = True
    #: The folder ``exclude`` globs are relative to (the config file's); default: the root.
    exclude_base: str | None = None


@dataclass(frozen=True)
class WalkItem:
    """A file to scan: absolute path, path shown in reports (``/``-separated), size in bytes."""

    path: str
    rel: str
    size: int
    explicit: bool = False


@dataclass
class WalkResult:
    """Files to scan, in a stable order, and files skipped with a reason."""

    items: list[WalkItem] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)


@dataclass(frozen=True)
class _Spec:
    base: str  # absolute folder, ending with os.sep
    spec: pathspec.GitIgnoreSpec


def _is_vendored_file(name: str) -> bool:
    return name.lower().endswith(VENDORED_FILES)


def _extension(name: str) -> str:
    dot = name.rfind(".")
    return name[dot + 1 :].lower() if dot > 0 else ""


def _read_spec(path: str) -> pathspec.GitIgnoreSpec | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    lines = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        return None
    import pathspec  # imported on the first ignore file: trees without one never pay for it

    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except Exception:  # a malformed pattern must not stop the scan
        return None


def _dir_specs(folder: str, names: Iterable[str] = (".gitignore", ".recastignore")) -> list[_Spec]:
    specs = []
    for name in names:
        spec = _read_spec(os.path.join(folder, name))
        if spec is not None:
            specs.append(_Spec(folder.rstrip(os.sep) + os.sep, spec))
    return specs


def _ignored(specs: Sequence[_Spec], abspath: str, is_dir: bool) -> bool:
    """Deepest ignore file with an opinion wins (so a nested ``!pattern`` re-includes)."""
    for item in reversed(specs):
        if not abspath.startswith(item.base):
            continue
        rel = abspath[len(item.base) :].replace(os.sep, "/")
        if is_dir:
            rel += "/"
        result = item.spec.check_file(rel)
        if result.include is not None:
            return bool(result.include)
    return False


def git_files(folder: str) -> frozenset[str] | None:
    """Absolute paths of what git tracks under ``folder``, plus untracked files git does not
    ignore; ``None`` outside a git work tree (or without git), where ``.gitignore`` rules.

    A file committed despite matching ``.gitignore`` is tracked, so it is listed and read.
    """
    import subprocess

    try:
        done = subprocess.run(
            ["git", "-C", folder, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            capture_output=True,
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    names = done.stdout.decode("utf-8", "surrogateescape").split("\0")
    return frozenset(os.path.join(folder, name.replace("/", os.sep)) for name in names if name)


def _parents(paths: Iterable[str], stop: str) -> frozenset[str]:
    """Every folder holding one of ``paths``, up to ``stop`` (so the walk can prune)."""
    folders: set[str] = set()
    for path in paths:
        parent = os.path.dirname(path)
        while parent not in folders and len(parent) >= len(stop):
            folders.add(parent)
            parent = os.path.dirname(parent)
    return frozenset(folders)


def _ancestor_specs(
    folder: str, names: Sequence[str] = (".gitignore", ".recastignore")
) -> list[_Spec]:
    """Ignore files of the folders above ``folder``, up to the repository root."""
    chain: list[str] = []
    probe = folder
    while True:
        if os.path.isdir(os.path.join(probe, ".git")):
            break
        parent = os.path.dirname(probe)
        if parent == probe:
            chain = []  # not in a repository: parents' ignore files do not apply
            break
        chain.append(parent)
        probe = parent
    specs: list[_Spec] = []
    for ancestor in reversed(chain):
        specs.extend(_dir_specs(ancestor, names))
    return specs


def display_path(abspath: str, root: str) -> str:
    """``abspath`` relative to ``root`` with ``/`` separators, else absolute."""
    prefix = root if root.endswith(os.sep) else root + os.sep
    if abspath.startswith(prefix):
        rel = abspath[len(prefix) :]
        return rel if os.sep == "/" else rel.replace(os.sep, "/")
    if abspath == root:
        return os.path.basename(abspath)
    return abspath.replace(os.sep, "/")


def walk(paths: Iterable[str | os.PathLike[str]], options: WalkOptions, root: str) -> WalkResult:
    """List the files to scan under ``paths`` (files given explicitly are always listed)."""
    result = WalkResult()
    result.items.extend(iter_walk(paths, options, root, result))
    return result


def iter_walk(
    paths: Iterable[str | os.PathLike[str]], options: WalkOptions, root: str, result: WalkResult
) -> Iterator[WalkItem]:
    """Yield the files to scan as the walk finds them; skipped ones go to ``result.skipped``."""
    seen: set[str] = set()
    root = os.path.abspath(root)
    exclude_spec: _Spec | None = None
    if options.exclude:
        import pathspec

        base = os.path.abspath(options.exclude_base or root)
        exclude_spec = _Spec(
            base.rstrip(os.sep) + os.sep, pathspec.GitIgnoreSpec.from_lines(options.exclude)
        )
    for given in paths:
        start = os.path.abspath(os.fspath(given))
        if not os.path.exists(start):
            result.skipped.append(SkippedFile(os.fspath(given), "does not exist"))
            continue
        if not os.path.isdir(start):  # a file (or a pipe: read_bytes skips it with a reason)
            real = os.path.realpath(start)
            if real in seen:
                continue
            seen.add(real)
            size = os.path.getsize(start)
            yield WalkItem(start, display_path(start, root), size, explicit=True)
            continue
        specs: list[_Spec] = []
        # A folder named explicitly is scanned even when an exclude covers it (as with
        # ignore files below): `cd docs/examples/demo && recast scan .` means that folder.
        if exclude_spec is not None and not _ignored([exclude_spec], start, True):
            specs.append(exclude_spec)
        tracked = git_files(start) if options.use_ignore_files and options.use_git else None
        ignore_names = (".recastignore",) if tracked is not None else IGNORE_FILES
        if options.use_ignore_files:
            above = _ancestor_specs(start, ignore_names)
            if not _ignored(above, start, True):  # a folder named explicitly is scanned
                specs.extend(above)
        yield from _walk_dir(start, specs, options, root, result, seen, tracked)


def _walk_dir(
    folder: str,
    specs: list[_Spec],
    options: WalkOptions,
    root: str,
    result: WalkResult,
    seen: set[str],
    tracked: frozenset[str] | None = None,
) -> Iterator[WalkItem]:
    folders = _parents(tracked, folder) if tracked is not None else None
    ignore_names = (".recastignore",) if tracked is not None else IGNORE_FILES
    stack: list[tuple[str, list[_Spec]]] = [(folder, specs)]
    while stack:
        current, inherited = stack.pop()
        local = list(inherited)
        try:
            with os.scandir(current) as iterator:
                entries = sorted(iterator, key=lambda e: e.name)
        except OSError as exc:
            result.skipped.append(
                SkippedFile(display_path(current, root), f"unreadable folder ({exc.strerror})")
            )
            continue
        if options.use_ignore_files:
            present = [e.name for e in entries if e.name in ignore_names]
            if present:
                local.extend(_dir_specs(current, present))
        subdirs: list[str] = []
        for entry in entries:
            name = entry.name
            try:
                if entry.is_symlink():
                    continue
                if entry.is_dir(follow_symlinks=False):
                    if name in ALWAYS_SKIPPED_DIRS:
                        continue
                    if not options.include_vendored and (
                        name in VENDORED_DIRS or name.endswith(".egg-info")
                    ):
                        continue
                    if folders is not None and entry.path not in folders:
                        continue
                    if local and _ignored(local, entry.path, True):
                        continue
                    subdirs.append(entry.path)
                    continue
                if not entry.is_file(follow_symlinks=False):
                    continue
                if name in IGNORE_FILES:
                    continue
                if tracked is not None and entry.path not in tracked:
                    continue
                if _extension(name) in BINARY_EXTENSIONS:
                    continue
                if not options.include_vendored and _is_vendored_file(name):
                    continue
                if local and _ignored(local, entry.path, False):
                    continue
                size = entry.stat(follow_symlinks=False).st_size
            except OSError as exc:
                result.skipped.append(
                    SkippedFile(display_path(entry.path, root), f"unreadable ({exc.strerror})")
                )
                continue
            if entry.path in seen:
                continue
            seen.add(entry.path)
            yield WalkItem(entry.path, display_path(entry.path, root), size)
        for sub in reversed(subdirs):
            stack.append((sub, local))


@dataclass(frozen=True)
class Decoded:
    """A file's text and how to write it back byte for byte.

    ``encoding`` is a Python codec name; ``bom`` the bytes to put back in front.
    """

    text: str
    encoding: str
    bom: bytes = b""
    note: str | None = None

    def encode(self, text: str) -> bytes:
        """Encode ``text`` the way the file was written (same codec, same BOM)."""
        return self.bom + text.encode(self.encoding)


_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def sniff_binary(data: bytes) -> bool:
    """True when ``data`` looks binary: a NUL byte in the first 8 KiB and no UTF-16 BOM."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    return b"\x00" in data[:_BINARY_SNIFF]


def decode(data: bytes) -> Decoded:
    """Decode file bytes; never fails (Latin-1 is the fallback, with a note)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return Decoded(data[len(bom) :].decode(encoding), encoding, bom)
            except UnicodeDecodeError:
                break
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        return Decoded(
            data.decode("latin-1"),
            "latin-1",
            note=f"not valid UTF-8 (byte {exc.start}); read as Latin-1",
        )


def read_bytes(path: str, max_bytes: int) -> tuple[bytes | None, str | None]:
    """Read a file once; return ``(data, None)`` or ``(None, reason it was skipped)``."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO must not block
    except OSError as exc:
        return None, f"unreadable ({exc.strerror or exc})"
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None, "not a regular file"
        if info.st_size > max_bytes:
            return None, f"larger than {max_bytes // (1024 * 1024)} MB ({info.st_size} bytes)"
        # Ask for the size fstat gave plus one byte (a file that grew meanwhile is read on
        # up to the cap): a read of max_bytes allocates that much first, and the page
        # faults of 5 MB per file cost crewAI's 27,000 files 0.5 s of system time.
        if info.st_size <= _BINARY_SNIFF:
            data = os.read(fd, info.st_size + 1)  # one call: small files are read whole
        else:
            # Sniff the head first: a binary file is never read past its first 8 KiB.
            data = os.read(fd, _BINARY_SNIFF)
            if sniff_binary(data):
                return None, "binary"
            data += os.read(fd, info.st_size + 1 - len(data))
        if len(data) > info.st_size:
            data += os.read(fd, max(0, max_bytes + 1 - len(data)))
    except OSError as exc:
        return None, f"unreadable ({exc.strerror or exc})"
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        return None, f"larger than {max_bytes // (1024 * 1024)} MB"
    if sniff_binary(data):
        return None, "binary"
    return data, None
