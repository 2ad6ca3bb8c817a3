"""``docs/threat-model.md`` names a test for every claim: each one must exist.

A renamed or deleted test would leave a claim without its proof; this test fails
then, naming the reference that no longer resolves.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.helpers import ROOT

DOC = ROOT / "docs" / "threat-model.md"
REFERENCE = re.compile(r"tests/(\w+)\.py(?:::(\w+)(?:\[([^\]]+)\])?)?")


def _tests_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    }


def test_every_test_the_threat_model_names_exists() -> None:
    text = DOC.read_text()
    references = REFERENCE.findall(text)
    assert len(references) > 50  # the page names its proofs
    missing = []
    for module, name, param in references:
        path = ROOT / "tests" / f"{module}.py"
        if not path.is_file():
            missing.append(f"tests/{module}.py")
            continue
        if name and name not in _tests_in(path):
            missing.append(f"tests/{module}.py::{name}")
        elif (
            param
            and f'"{param}"'
            not in path.read_text() + (ROOT / "aidbooks" / "check.py").read_text()
        ):
            missing.append(f"tests/{module}.py::{name}[{param}]")
    assert missing == [], missing


def test_every_section_of_the_threat_model_names_a_test() -> None:
    sections = re.split(r"^## ", DOC.read_text(), flags=re.MULTILINE)[1:]
    for section in sections:
        title = section.splitlines()[0]
        if title.startswith(("What is worth", "The adversaries", "What each", "Advice")):
            continue
        assert REFERENCE.search(section), f"section {title!r} names no test"
