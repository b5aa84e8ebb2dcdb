"""Configuration files, inline suppression and --changed-since."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from scan_catalog import AS_OF, TreeWriter

from recast.catalog import Catalog
from recast.errors import ConfigError, ScanError
from recast.scan import ScanConfig, load_config, read_config_file, scan
from recast.scan._config import changed_files, find_config, parse_duration, parse_replace


def test_pyproject_tool_recast(make_tree: TreeWriter) -> None:
    root = make_tree(
        {
            "pyproject.toml": (
                '[project]\nname = "x"\n\n[tool.recast]\nexclude = ["legacy/"]\n'
                'fail_on = "deprecated"\nfail_within = "12w"\ninclude_docs = false\n'
                'platform = "bedrock"\n\n[tool.recast.platforms]\n"infra/*" = "vertex"\n\n'
                '[tool.recast.replace]\n"gpt-4-0613" = "gpt-4.1"\n'
            ),
            "src/a.py": "",
        }
    )
    config = load_config(start=root / "src")
    assert config.exclude == ("legacy/",)
    assert (config.fail_on, config.fail_within_days, config.include_docs) == (
        "deprecated",
        84,
        False,
    )
    assert config.platform_for("infra/main.tf") == "vertex"
    assert config.platform_for("src/a.py") == "bedrock"
    assert config.replace == (("gpt-4-0613", "gpt-4.1"),)
    assert config.source == str(root / "pyproject.toml")


def test_recast_toml_wins_and_search_stops_at_repo_root(make_tree: TreeWriter) -> None:
    root = make_tree(
        {
            "recast.toml": 'fail_on = "legacy"\n',
            "repo/.git/HEAD": "ref\n",
            "repo/src/a.py": "",
            "other/recast.toml": "include_comments = false\nmax_file_mb = 2\n",
        }
    )
    assert find_config(root / "repo" / "src") is None
    assert load_config(start=root / "repo" / "src") == ScanConfig()
    assert load_config(start=root).fail_on == "legacy"
    other = read_config_file(root / "other" / "recast.toml")
    assert (other.include_comments, other.max_file_bytes) == (False, 2 * 1024 * 1024)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("fail_on = 'sometimes'\n", "fail_on must be one of"),
        ("platform = 'azure'\n", "unknown platform 'azure'"),
        ("exclude = 'legacy/'\n", "exclude must be a list"),
        ("fail_within = 'soon'\n", "'soon' is not a duration"),
        ("include_docs = 'yes'\n", "include_docs must be a bool"),
        ("colour = true\n", "unknown key 'colour'"),
        ("exclud = ['x']\n", "unknown key 'exclud' .*Did you mean 'exclude'\\?"),
        ("[platforms]\n'a/*' = 'nowhere'\n", "unknown platform 'nowhere'"),
        ("[platforms]\n'a/*' = 'bedrok'\n", "Did you mean 'bedrock'\\?"),
        ("fail_on = \n", "not valid TOML"),
    ],
)
def test_bad_config_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "recast.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        read_config_file(path)


def test_missing_config_file() -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        read_config_file("/nonexistent/recast.toml")


def test_durations_and_replacements() -> None:
    assert [parse_duration(v) for v in ("90d", "2w", "1m", "1y", 7)] == [90, 14, 30, 365, 7]
    assert parse_replace(["a=b", " c = d "]) == {"a": "b", "c": "d"}
    with pytest.raises(ConfigError, match="OLD=NEW"):
        parse_replace(["gpt-4"])


def test_inline_suppression(make_tree: TreeWriter, catalog: Catalog) -> None:
    root = make_tree(
        {
            "a.py": (
                'a = "gpt-4-0613"  # recast: ignore\n'
                'b = "gpt-4-0613"  # recast: ignore[claude-2.1]\n'
                'c = "gpt-4-0613"  # recast: ignore[gpt-4-0613]\n'
                'd = "gpt-4-0613"  # recast: ignore[RC101]\n'
                "# recast: ignore-next-line\n"
                'e = "gpt-4-0613"\n'
                'f = "gpt-4-0613"\n'
            ),
            "b.ts": 'const m = "gpt-4-0613"; // recast: ignore\n',
            "c.md": "<!-- recast: ignore-file -->\ngpt-4-0613\n",
        }
    )
    result = scan([root], as_of=AS_OF, catalog=catalog, config=ScanConfig(), root=root)
    assert [(f.path, f.line) for f in result.findings] == [("a.py", 2), ("a.py", 7)]
    assert result.suppressed == 6


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_changed_since(make_tree: TreeWriter, catalog: Catalog) -> None:
    root = make_tree({"old.py": 'm = "gpt-4-0613"\n', "same.py": 'm = "gpt-4-0613"\n'})
    _git(root, "init", "-q")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "one")
    (root / "old.py").write_text('m = "claude-2.1"\n')
    (root / "new.py").write_text('m = "o1-preview"\n')
    assert sorted(Path(p).name for p in changed_files("HEAD", cwd=root)) == ["new.py", "old.py"]
    result = scan(
        [root], as_of=AS_OF, catalog=catalog, config=ScanConfig(), root=root, changed_since="HEAD"
    )
    assert [(f.path, f.text) for f in result.findings] == [
        ("new.py", "o1-preview"),
        ("old.py", "claude-2.1"),
    ]
    with pytest.raises(ScanError, match="no-such-ref"):
        changed_files("no-such-ref", cwd=root)


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_changed_since_outside_a_repository(tmp_path: Path) -> None:
    with pytest.raises(ScanError, match="not in a git repository"):
        changed_files("HEAD", cwd=tmp_path)


def test_config_globs_are_relative_to_the_config_folder(
    make_tree: TreeWriter, catalog: Catalog
) -> None:
    root = make_tree(
        {
            "recast.toml": ('exclude = ["svc/legacy/"]\n[platforms]\n"svc/vertex/*" = "vertex"\n'),
            "svc/legacy/a.py": 'm = "gpt-4-0613"\n',
            "svc/vertex/b.py": 'm = "gemini-1.5-pro-002"\n',
            "svc/c.py": 'm = "gemini-1.5-pro-002"\n',
        }
    )
    config = load_config(start=root / "svc")
    result = scan([root / "svc"], as_of=AS_OF, catalog=catalog, config=config, root=root / "svc")
    rows = [(f.path, f.platform, f.platform_reason) for f in result.findings]
    assert rows == [("c.py", "gemini-api", "home"), ("vertex/b.py", "vertex", "hint")]
