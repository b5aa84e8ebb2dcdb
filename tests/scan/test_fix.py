"""``--fix``: round trips, encodings, line endings, notebooks, platform forms, safety."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from scan_catalog import AS_OF, TreeWriter, build_catalog
from test_find import NOTEBOOK

from recast.catalog import Catalog
from recast.scan import ScanConfig, ScanResult, fix, scan


def _scan(root: Path, catalog: Catalog) -> ScanResult:
    return scan([root], as_of=AS_OF, catalog=catalog, config=ScanConfig(), root=root)


def _retired_in_code(result: ScanResult) -> list[str]:
    return [
        f"{f.path}:{f.text}"
        for f in result.findings
        if f.status in ("retired", "deprecated") and f.context in ("code", "config")
    ]


def test_round_trip_leaves_nothing_retired(make_tree: TreeWriter, catalog: Catalog) -> None:
    root = make_tree(
        {
            "app.py": 'import openai\nm = "gpt-4-0613"\nn = "o1-preview"\n',
            "bedrock.py": 'm = "bedrock/anthropic.claude-3-sonnet-20240229-v1:0"\n',
            "vertex.yaml": "model: claude-3-sonnet@20240229\n",
            "router.json": '{"model": "openrouter/openai/gpt-4-0613:free"}\n',
            "README.md": "We used gpt-4-0613.\n",
        }
    )
    before = _scan(root, catalog)
    done = fix(before, catalog=catalog, write=True)
    assert done.written and done.edit_count == 5
    after = _scan(root, catalog)
    assert _retired_in_code(after) == []
    assert (root / "bedrock.py").read_text() == (
        'm = "bedrock/anthropic.claude-sonnet-4-20250514-v1:0"\n'
    )
    assert (root / "vertex.yaml").read_text() == "model: claude-sonnet-4@20250514\n"
    assert json.loads((root / "router.json").read_text()) == {
        "model": "openrouter/openai/gpt-4.1:free"
    }
    assert (root / "README.md").read_text() == "We used gpt-4-0613.\n"  # docs are history
    assert any("docs" in s.reason for s in done.skipped)
    # o1-preview -> o3 stays within reasoning models: no request change to warn about.
    assert done.warnings == []


def test_moving_to_a_reasoning_model_warns(make_tree: TreeWriter, catalog: Catalog) -> None:
    root = make_tree({"app.py": 'm = "gpt-4-0613"\n'})
    done = fix(_scan(root, catalog), catalog=catalog, replace={"gpt-4-0613": "o3"})
    assert len(done.warnings) == 1
    assert "app.py:1: o3 is a reasoning model" in done.warnings[0]
    assert "max_completion_tokens" in done.warnings[0] and "temperature" in done.warnings[0]


def test_dry_run_writes_nothing_and_prints_a_diff(make_tree: TreeWriter, catalog: Catalog) -> None:
    root = make_tree({"app.py": 'm = "gpt-4-0613"\n'})
    done = fix(_scan(root, catalog), catalog=catalog)
    assert not done.written
    assert (root / "app.py").read_text() == 'm = "gpt-4-0613"\n'
    assert done.diff == (
        '--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-m = "gpt-4-0613"\n+m = "gpt-4.1"\n'
    )


def test_crlf_bom_and_untouched_bytes(make_tree: TreeWriter, catalog: Catalog) -> None:
    original = (
        b'\xef\xbb\xbf# caf\xc3\xa9\r\nm = "gpt-4-0613"\r\nkeep = "gpt-4o"\r\n'
        b"tab =\t\"x\"  \r\nlast = 'gpt-4-0613'"
    )
    root = make_tree({"app.py": original})
    fix(_scan(root, catalog), catalog=catalog, write=True)
    expected = original.replace(b"gpt-4-0613", b"gpt-4.1")
    assert (root / "app.py").read_bytes() == expected


def test_utf16_file_keeps_its_encoding(make_tree: TreeWriter, catalog: Catalog) -> None:
    original = '\ufeffm = "gpt-4-0613"\r\n'.encode("utf-16-le")
    root = make_tree({"a.py": original})
    fix(_scan(root, catalog), catalog=catalog, write=True)
    assert (root / "a.py").read_bytes() == '\ufeffm = "gpt-4.1"\r\n'.encode("utf-16-le")


def test_notebook_stays_valid_json(make_tree: TreeWriter, catalog: Catalog) -> None:
    raw = json.dumps(NOTEBOOK, indent=1)
    root = make_tree({"nb.ipynb": raw})
    fix(_scan(root, catalog), catalog=catalog, write=True)
    text = (root / "nb.ipynb").read_text(encoding="utf-8")
    document = json.loads(text)
    assert 'model = "gpt-4.1"  # été\n' in document["cells"][1]["source"]
    assert document["cells"][1]["outputs"] == NOTEBOOK["cells"][1]["outputs"]  # type: ignore[index]
    assert text == raw.replace('model = \\"gpt-4-0613\\"', 'model = \\"gpt-4.1\\"')


def test_ambiguous_and_unplaceable_replacements_are_skipped(
    make_tree: TreeWriter, catalog: Catalog
) -> None:
    root = make_tree({"a.py": 'a = "gpt-3.5-turbo-0301"\n'})
    done = fix(_scan(root, catalog), catalog=catalog, write=True)
    assert done.files == []
    assert "ambiguous" in done.skipped[0].reason
    assert (root / "a.py").read_text() == 'a = "gpt-3.5-turbo-0301"\n'


def test_replace_mapping_wins_and_keeps_prefixes(make_tree: TreeWriter, catalog: Catalog) -> None:
    root = make_tree({"a.py": 'a = "gpt-3.5-turbo-0301"\nb = "openai/gpt-4o"\n'})
    mapping = {"gpt-3.5-turbo-0301": "gpt-4o-mini", "gpt-4o": "gpt-4.1"}
    fix(_scan(root, catalog), catalog=catalog, replace=mapping, write=True)
    assert (root / "a.py").read_text() == 'a = "gpt-4o-mini"\nb = "openai/gpt-4.1"\n'


def test_permissions_are_kept_and_no_temp_files_left(
    make_tree: TreeWriter, catalog: Catalog
) -> None:
    root = make_tree({"run.sh": "#!/bin/sh\nrun --model gpt-4-0613\n"})
    (root / "run.sh").chmod(0o751)
    fix(_scan(root, catalog), catalog=catalog, write=True)
    assert stat.S_IMODE(os.stat(root / "run.sh").st_mode) == 0o751
    assert sorted(p.name for p in root.iterdir()) == ["run.sh"]


def test_file_changed_since_scan_is_left_alone(make_tree: TreeWriter, catalog: Catalog) -> None:
    root = make_tree({"a.py": 'm = "gpt-4-0613"\n'})
    result = _scan(root, catalog)
    (root / "a.py").write_text('# edited\nm = "gpt-4-0613"\n')
    done = fix(result, catalog=catalog, write=True)
    assert done.files == []
    assert done.skipped[0].reason == "file changed since the scan"
    assert (root / "a.py").read_text() == '# edited\nm = "gpt-4-0613"\n'


_CATALOG = build_catalog()
_IDS = ["gpt-4-0613", "gpt-4o", "o1-preview", "claude-2.1"]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from([f'"{i}"' for i in _IDS] + ["# gpt-4-0613\n", "'o1-preview'"]),
            st.text(alphabet="abc xyz=\n\r\t#é'\"", max_size=12),
        ),
        max_size=25,
    )
)
def test_rewriting_preserves_everything_outside_the_spans(parts: list[str]) -> None:
    import tempfile

    folder = Path(tempfile.mkdtemp())
    original = "".join(parts)
    (folder / "a.py").write_bytes(original.encode("utf-8"))
    result = scan([folder], as_of=AS_OF, catalog=_CATALOG, config=ScanConfig(), root=folder)
    done = fix(result, catalog=_CATALOG, write=True)
    new = (folder / "a.py").read_bytes().decode("utf-8")
    starts = [0] + [i + 1 for i, char in enumerate(original) if char == "\n"]
    expected = original
    edits = sorted(
        ((starts[e.line - 1] + e.column - 1, e) for f in done.files for e in f.edits),
        key=lambda pair: pair[0],
    )
    for offset, edit in reversed(edits):
        assert expected[offset : offset + len(edit.old)] == edit.old
        expected = expected[:offset] + edit.new + expected[offset + len(edit.old) :]
    assert new == expected
    for finding in result.findings:
        if finding.context in ("comment", "docs"):
            assert all(e.finding is not finding for _, e in edits)
