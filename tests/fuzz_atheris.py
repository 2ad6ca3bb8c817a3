"""Coverage-guided fuzzing of the importers with atheris (``make fuzz``; not collected
by pytest).

libFuzzer mutates the bytes of every export fixture (personal data replaced by the
planted data of :mod:`tests.hostile`) and keeps the inputs that reach new code in
the importers. Each input runs the stages of ``aidbooks import`` in process
(:func:`tests.test_fuzz_importers.import_dry`): a clean refusal, or an import whose
text loads in Beancount, with no planted data in any message or in the books. Any
other exception or a failed assertion stops the run and leaves the input in
``crash-*`` for a regression test.

    python tests/fuzz_atheris.py -max_total_time=300 [-jobs=2] [CORPUS_DIR]

The first byte of an input chooses the file's suffix (``.csv``, ``.ofx``,
``.qfx``), the rest is the file.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

with atheris.instrument_imports(include=["aidbooks"]):
    from tests.hostile import seed_text
    from tests.hostile import seeds
    from tests.test_fuzz_importers import import_dry

SUFFIXES = (".csv", ".ofx", ".qfx")
WORK = Path(tempfile.mkdtemp(prefix="aidbooks-fuzz-"))


def one_input(data: bytes) -> None:
    """Run one input through the import stages."""
    if not data:
        return
    path = WORK / f"download{SUFFIXES[data[0] % len(SUFFIXES)]}"
    path.write_bytes(data[1:])
    import_dry(path)


def corpus() -> Path:
    """A starting corpus: every fixture, planted, with its suffix byte."""
    folder = WORK / "corpus"
    folder.mkdir(exist_ok=True)
    for number, seed in enumerate(seeds()):
        prefix = bytes(
            [SUFFIXES.index(seed.suffix.lower()) if seed.suffix.lower() in SUFFIXES else 0]
        )
        (folder / f"seed-{number:03d}").write_bytes(
            prefix + seed_text(seed).encode("utf-8")
        )
    return folder


def main() -> None:
    args = list(sys.argv)
    if not any(not a.startswith("-") for a in args[1:]):
        args.append(str(corpus()))
    atheris.Setup(args, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
