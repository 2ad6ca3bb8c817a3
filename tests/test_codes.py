"""The code scheme: alphabet, kinds, check character, randomness."""

from __future__ import annotations

import itertools

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from aidbooks.plugins import codes
from tests.helpers import invoke

KINDS = ("recipient", "volunteer", "donor")
BODY = st.integers(min_value=0, max_value=(1 << codes.BODY_BITS) - 1)


def positions(code: str) -> list[int]:
    """Indexes of the characters that carry meaning (not the hyphens)."""
    return [i for i, ch in enumerate(code) if ch != "-"]


@given(kind=st.sampled_from(KINDS), number=BODY)
def test_every_built_code_is_valid_and_of_its_kind(kind: codes.Kind, number: int) -> None:
    code = codes.code_from_int(kind, number)
    assert codes.problem(code) is None
    assert codes.kind_of(code) == kind
    assert code[0] == codes.PREFIX[kind]
    assert all(ch in codes.ALPHABET for ch in code.replace("-", ""))


@settings(deadline=None)  # one example checks every substitution: seconds on a busy machine
@given(kind=st.sampled_from(KINDS), number=BODY, data=st.data())
def test_check_rejects_every_single_substitution(
    kind: codes.Kind, number: int, data: st.DataObject
) -> None:
    code = codes.code_from_int(kind, number)
    index = data.draw(st.sampled_from(positions(code)))
    replacement = data.draw(
        st.sampled_from(codes.ALPHABET).filter(lambda c: c != code[index])
    )
    typo = code[:index] + replacement + code[index + 1 :]
    assert codes.problem(typo) is not None


@given(kind=st.sampled_from(KINDS), number=BODY, data=st.data())
def test_check_rejects_every_adjacent_swap(
    kind: codes.Kind, number: int, data: st.DataObject
) -> None:
    code = codes.code_from_int(kind, number)
    chars = positions(code)
    pairs = [(a, b) for a, b in itertools.pairwise(chars) if code[a] != code[b]]
    if not pairs:
        return
    a, b = data.draw(st.sampled_from(pairs))
    swapped = list(code)
    swapped[a], swapped[b] = swapped[b], swapped[a]
    assert codes.problem("".join(swapped)) is not None


def test_exhaustive_single_errors_on_one_code() -> None:
    """All 10 x 31 substitutions and all adjacent swaps of one code, not a sample."""
    code = codes.code_from_int("recipient", 0x1234_5678_9AB)
    for index in positions(code):
        for ch in codes.ALPHABET:
            if ch != code[index]:
                assert codes.problem(code[:index] + ch + code[index + 1 :]) is not None
    chars = positions(code)
    for a, b in itertools.pairwise(chars):
        if code[a] != code[b]:
            swapped = list(code)
            swapped[a], swapped[b] = swapped[b], swapped[a]
            assert codes.problem("".join(swapped)) is not None


def test_kind_is_enforced() -> None:
    volunteer = codes.code_from_int("volunteer", 77)
    found = codes.problem(volunteer, "recipient")
    assert found is not None
    assert "volunteer code where a recipient code is needed" in found.reason


def test_normalize_forgives_case_spacing_and_lookalikes() -> None:
    code = codes.code_from_int("recipient", 0x0F0F0F0F0F)
    sloppy = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert codes.normalize(sloppy) == code
    found = codes.problem(sloppy)
    assert found is not None and code in found.fix


def test_problem_never_echoes_the_value() -> None:
    for bad in ("R-ABCDE-FGHJK", "maria", "X-00000-00000", "R-0000"):
        found = codes.problem(bad)
        assert found is not None
        assert bad not in found.reason and bad not in found.fix


def test_suggest_finds_the_declared_code_one_typo_away() -> None:
    declared = [codes.code_from_int("recipient", n) for n in (1, 99, 12345)]
    target = declared[2]
    typo = target[:4] + ("A" if target[4] != "A" else "B") + target[5:]
    assert codes.suggest(typo, declared) == target
    assert codes.suggest(codes.code_from_int("recipient", 5555), declared) is None


@pytest.mark.slow  # ten thousand codes through the CLI
def test_ten_thousand_codes_from_the_cli_are_distinct(runner: CliRunner) -> None:
    seen = set()
    for _ in range(10_000):
        status, out, _err = invoke(runner, "code", "new")
        assert status == 0
        seen.add(out.strip())
    assert len(seen) == 10_000
    assert all(codes.kind_of(code) == "recipient" for code in seen)


@settings(max_examples=50)
@given(st.text(max_size=30))
def test_problem_handles_any_text(text: str) -> None:
    """Any text gets an answer, never an exception, and the answers agree."""
    found = codes.problem(text)
    assert (found is None) == codes.is_valid(text)
    assert (found is None) == (codes.kind_of(text) is not None)
    if found is not None:  # why, without repeating what was typed
        assert found.reason and found.fix
        assert not text.strip() or len(text.strip()) < 3 or text.strip() not in found.reason
    fixed = codes.normalize(text)
    assert codes.normalize(fixed) == fixed
