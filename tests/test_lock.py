"""The lock (``requirements/lock.txt``) agrees with ``pyproject.toml`` and with what is installed.

``pyproject.toml`` keeps compatible ranges for people who install the package; the
Makefile installs the exact versions of the lock, so a fresh clone today and next
year runs the tests on the same packages. ``make lock`` rewrites the lock on purpose.
``make test-latest`` (``AIDBOOKS_LOCKED=no``) ignores the lock and installs the newest
versions the ranges allow: then the installed versions must still be within them.
"""

from __future__ import annotations

import os
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements" / "lock.txt"


def read_lock(text: str) -> dict[str, Version]:
    """``name==version`` lines of a pip constraints file, by canonical name."""
    pins: dict[str, Version] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        requirement = Requirement(line)
        specifiers = list(requirement.specifier)
        assert len(specifiers) == 1 and specifiers[0].operator == "==", (
            f"lock.txt:{number}: {line!r} is not an exact pin"
        )
        pins[canonicalize_name(requirement.name)] = Version(specifiers[0].version)
    return pins


def declared() -> list[Requirement]:
    """Every requirement of the package and of its ``dev`` extra."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
        "project"
    ]
    lines = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    return [Requirement(line) for line in lines]


def test_every_declared_requirement_is_pinned_within_its_range() -> None:
    pins = read_lock(LOCK.read_text(encoding="utf-8"))
    problems = []
    for requirement in declared():
        name = canonicalize_name(requirement.name)
        if name not in pins:
            problems.append(f"{requirement.name} is not in the lock: run make lock")
        elif not requirement.specifier.contains(pins[name], prereleases=True):
            problems.append(
                f"{requirement.name}=={pins[name]} is outside {requirement.specifier}: "
                "run make lock"
            )
    assert problems == []


def test_the_lock_is_closed_under_the_pinned_packages_requirements() -> None:
    """Nothing installed floats: every requirement of a locked package is locked too."""
    pins = read_lock(LOCK.read_text(encoding="utf-8"))
    if os.environ.get("AIDBOOKS_LOCKED") == "no":
        # make test-latest: the installed set is the newest allowed, not the lock.
        installed = {
            canonicalize_name(dist.metadata["Name"]): Version(dist.version)
            for dist in metadata.distributions()
        }
        outside = [
            f"{r.name}=={installed[canonicalize_name(r.name)]} not in {r.specifier}"
            for r in declared()
            if canonicalize_name(r.name) in installed
            and not r.specifier.contains(installed[canonicalize_name(r.name)], True)
        ]
        assert outside == []
        assert all(canonicalize_name(r.name) in installed for r in declared())
        return
    missing = []
    for name in pins:
        dist = metadata.distribution(name)
        assert Version(dist.version) == pins[name], (
            f"{name} {dist.version} is installed, the lock says {pins[name]}: "
            "run make setup (or make lock on purpose)"
        )
        for line in dist.requires or []:
            requirement = Requirement(line)
            if requirement.marker is not None and not requirement.marker.evaluate(
                {"extra": ""}
            ):
                continue
            if canonicalize_name(requirement.name) not in pins:
                missing.append(f"{name} needs {requirement.name}, which is not locked")
    assert missing == []


def test_read_lock_refuses_a_range() -> None:
    assert read_lock("# comment\nclick==8.5.1\n") == {"click": Version("8.5.1")}
    with pytest.raises(AssertionError, match="not an exact pin"):
        read_lock("click>=8\n")
