"""The walk: ignore files, vendored folders, binaries, huge files, links, encodings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from scan_catalog import AS_OF, TreeWriter

from recast.catalog import Catalog
from recast.scan import ScanConfig, scan
from recast.scan._walk import WalkOptions, decode, walk

ID = 'm = "gpt-4-0613"\n'


def _paths(root: Path, **options: object) -> list[str]:
    listing = walk([root], WalkOptions(**options), str(root))  # type: ignore[arg-type]
    return [item.rel for item in listing.items]


def test_gitignore_nested_and_negated(make_tree: TreeWriter) -> None:
    root = make_tree(
        {
            ".gitignore": "*.gen.py\nsecret/\n",
            "a.py": ID,
            "b.gen.py": ID,
            "secret/c.py": ID,
            "pkg/.gitignore": "!keep.gen.py\nlocal.py\n",
            "pkg/keep.gen.py": ID,
            "pkg/local.py": ID,
            "pkg/d.py": ID,
            ".recastignore": "fixtures/\n",
            "fixtures/e.py": ID,
        }
    )
    assert _paths(root) == ["a.py", "pkg/d.py", "pkg/keep.gen.py"]
    assert len(_paths(root, use_ignore_files=False)) == 7


def test_parent_gitignore_applies_inside_a_repository(make_tree: TreeWriter) -> None:
    root = make_tree(
        {".git/HEAD": "ref\n", ".gitignore": "*.log.py\n", "src/a.py": ID, "src/b.log.py": ID}
    )
    listing = walk([root / "src"], WalkOptions(), str(root))
    assert [i.rel for i in listing.items] == ["src/a.py"]


def test_vendored_folders_and_files(make_tree: TreeWriter) -> None:
    root = make_tree(
        {
            "a.py": ID,
            "node_modules/x/index.js": ID,
            ".venv/lib/site.py": ID,
            "vendor/v.go": ID,
            "dist/bundle.js": ID,
            "build/out.py": ID,
            "web/app.min.js": ID,
            "pkg.egg-info/PKG-INFO": ID,
            ".git/config": ID,
        }
    )
    assert _paths(root) == ["a.py"]
    included = _paths(root, include_vendored=True)
    assert "node_modules/x/index.js" in included
    assert "web/app.min.js" in included
    assert not any(p.startswith(".git/") for p in included)


def test_explicit_file_is_always_scanned(make_tree: TreeWriter, catalog: Catalog) -> None:
    root = make_tree({".gitignore": "ignored.py\n", "ignored.py": ID, "node_modules/n.js": ID})
    result = scan(
        [root / "ignored.py", root / "node_modules" / "n.js"],
        as_of=AS_OF,
        catalog=catalog,
        config=ScanConfig(),
        root=root,
    )
    assert [f.path for f in result.findings] == ["ignored.py", "node_modules/n.js"]


def test_binary_and_huge_files_are_skipped_with_reason(
    make_tree: TreeWriter, catalog: Catalog
) -> None:
    root = make_tree(
        {
            "blob.dat2": b"\x00\x01gpt-4-0613",
            "huge.py": "x = 1\n" * 300_000,
            "image.png": b"\x89PNG gpt-4-0613",
            "ok.py": ID,
        }
    )
    config = ScanConfig(max_file_bytes=1024 * 1024)
    result = scan([root], as_of=AS_OF, catalog=catalog, config=config, root=root)
    reasons = {s.path: s.reason for s in result.skipped}
    assert reasons["blob.dat2"] == "binary"
    assert reasons["huge.py"].startswith("larger than 1 MB")
    assert "image.png" not in reasons  # binary by extension: never read
    assert [f.path for f in result.findings] == ["ok.py"]


def test_large_files_are_sniffed_then_read_whole(make_tree: TreeWriter, catalog: Catalog) -> None:
    """Past the 8 KiB sniff: a NUL in the head skips the file, an id far down is found."""
    filler = "x = 1\n" * 5_000  # ~30 KB
    root = make_tree(
        {
            "big.bin2": b"\x00" + filler.encode() + b'm = "gpt-4-0613"\n',
            "big.py": filler + ID,
            "nul_late.py": filler + "\x00" + ID,  # a NUL past the sniffed head: still text
        }
    )
    result = scan([root], as_of=AS_OF, catalog=catalog, root=root)
    assert {s.path: s.reason for s in result.skipped} == {"big.bin2": "binary"}
    assert sorted((f.path, f.line) for f in result.findings) == [
        ("big.py", 5001),
        ("nul_late.py", 5001),
    ]


def test_symlink_loops_are_not_followed(make_tree: TreeWriter, catalog: Catalog) -> None:
    root = make_tree({"a/b.py": ID})
    os.symlink(root / "a", root / "a" / "loop")
    os.symlink(root, root / "a" / "up")
    result = scan([root], as_of=AS_OF, catalog=catalog, config=ScanConfig(), root=root)
    assert [f.path for f in result.findings] == ["a/b.py"]


@pytest.mark.parametrize(
    ("raw", "encoding", "bom"),
    [
        (b"\xef\xbb\xbfm = 'gpt-4-0613'\r\n", "utf-8", b"\xef\xbb\xbf"),
        ("\ufeffm = 'gpt-4-0613'\n".encode("utf-16-le"), "utf-16-le", b"\xff\xfe"),
        ("\ufeffm = 'gpt-4-0613'\n".encode("utf-16-be"), "utf-16-be", b"\xfe\xff"),
        ("é = 'gpt-4-0613'\n".encode("latin-1"), "latin-1", b""),
    ],
)
def test_encodings_round_trip_and_are_scanned(
    make_tree: TreeWriter, catalog: Catalog, raw: bytes, encoding: str, bom: bytes
) -> None:
    decoded = decode(raw)
    assert (decoded.encoding, decoded.bom) == (encoding, bom)
    assert decoded.encode(decoded.text) == raw
    root = make_tree({"a.py": raw})
    result = scan([root], as_of=AS_OF, catalog=catalog, config=ScanConfig(), root=root)
    assert [(f.text, f.column) for f in result.findings] == [("gpt-4-0613", 6)]
    if encoding == "latin-1":
        assert result.notes and "Latin-1" in result.notes[0].reason


def test_unreadable_file_is_skipped(make_tree: TreeWriter, catalog: Catalog) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    root = make_tree({"a.py": ID})
    (root / "a.py").chmod(0)
    result = scan([root], as_of=AS_OF, catalog=catalog, config=ScanConfig(), root=root)
    assert result.skipped[0].reason.startswith("unreadable")


def test_config_exclude_globs(make_tree: TreeWriter, catalog: Catalog) -> None:
    root = make_tree({"a.py": ID, "legacy/b.py": ID, "c.snap": ID})
    config = ScanConfig(exclude=("legacy/", "*.snap"))
    result = scan([root], as_of=AS_OF, catalog=catalog, config=config, root=root)
    assert [f.path for f in result.findings] == ["a.py"]


def test_excluded_folder_named_explicitly_is_scanned(
    make_tree: TreeWriter, catalog: Catalog
) -> None:
    """`cd docs/examples/demo && recast scan .` under a config that excludes docs/examples."""
    root = make_tree({"a.py": ID, "docs/examples/demo/b.py": ID, "docs/examples/c.py": ID})
    config = ScanConfig(exclude=("docs/examples/**",), base=str(root))
    whole = scan([root], as_of=AS_OF, catalog=catalog, config=config, root=root)
    assert [f.path for f in whole.findings] == ["a.py"]
    demo = root / "docs" / "examples" / "demo"
    named = scan([demo], as_of=AS_OF, catalog=catalog, config=config, root=demo)
    assert [f.path for f in named.findings] == ["b.py"]


def test_worker_pool_gives_the_same_result(
    make_tree: TreeWriter, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    files: dict[str, str | bytes] = {f"pkg{i % 7}/m{i}.py": ID * (i % 3 + 1) for i in range(60)}
    files["docs/a.md"] = "gpt-4o\n"
    root = make_tree(files)
    serial = scan([root], as_of=AS_OF, catalog=catalog, config=ScanConfig(), root=root, jobs=1)
    import recast.scan._scan as engine

    monkeypatch.setattr(engine, "PARALLEL_MIN_BYTES", 1)
    monkeypatch.setattr(engine, "PARALLEL_MIN_FILES", 2)
    monkeypatch.setattr(engine, "BATCH_FILES", 5)
    pooled = scan([root], as_of=AS_OF, catalog=catalog, config=ScanConfig(), root=root, jobs=2)
    assert pooled.findings == serial.findings
    assert (pooled.files_scanned, pooled.bytes_scanned) == (61, serial.bytes_scanned)


def test_fifo_given_explicitly_is_skipped_not_waited_on(
    make_tree: TreeWriter, catalog: Catalog
) -> None:
    root = make_tree({"a.py": ID})
    os.mkfifo(root / "pipe")
    result = scan(
        [root / "pipe", root / "a.py"], as_of=AS_OF, catalog=catalog, config=ScanConfig(), root=root
    )
    assert [(s.path, s.reason) for s in result.skipped] == [("pipe", "not a regular file")]
    assert [f.path for f in result.findings] == ["a.py"]
