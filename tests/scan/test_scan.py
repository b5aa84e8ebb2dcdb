"""Copies of one content (versioned docs, vendored files) are read and judged once, and still
reported at every path, each judged on its own path's evidence."""

from __future__ import annotations

import dataclasses
import json

from scan_catalog import AS_OF, TreeWriter

from recast.catalog import Catalog
from recast.scan import ScanConfig, render, scan

SOURCE = 'MODEL = "gpt-4o"\nOLD = "gpt-4-0613"  # recast: ignore\n'


def test_copies_are_reported_at_every_path(make_tree: TreeWriter, catalog: Catalog) -> None:
    files: dict[str, str | bytes] = {
        "docs/v1/app.py": SOURCE,
        "docs/v2/app.py": SOURCE,
        "docs/v3/app.md": SOURCE,  # another kind: read on its own
        "azure/app.py": SOURCE,  # the same content, another path's evidence
    }
    root = make_tree(files)
    result = scan([root], as_of=AS_OF, catalog=catalog, config=ScanConfig(), root=root)
    by_path = {f.path: f for f in result.findings}
    assert sorted(by_path) == ["azure/app.py", "docs/v1/app.py", "docs/v2/app.py", "docs/v3/app.md"]
    assert result.copies == {"docs/v2/app.py": "docs/v1/app.py"}
    first, copy = by_path["docs/v1/app.py"], by_path["docs/v2/app.py"]
    assert dataclasses.replace(first, path=copy.path) == copy
    assert (first.platform, copy.platform) == ("openai", "openai")
    assert by_path["azure/app.py"].platform == "azure-openai"
    assert result.suppressed == 4  # each copy's own ignore comment counts


def test_json_of_copies_is_what_each_finding_alone_gives(
    make_tree: TreeWriter, catalog: Catalog
) -> None:
    root = make_tree({f"v{i}/app.py": SOURCE for i in range(5)})
    result = scan([root], as_of=AS_OF, catalog=catalog, config=ScanConfig(), root=root)
    assert len(result.copies) == 4
    reused = render(result, "json")
    result.copies = {}
    assert reused == render(result, "json")
    paths = [f["path"] for f in json.loads(reused)["findings"]]
    assert paths == [f"v{i}/app.py" for i in range(5)]
