"""The text toolkit (xstilts.text): the random stream, edits, translations, and its import boundary.

Scripts, entities, lexicons, keyboards and typos are tested through the families that use them
(tests/test_perturb_*.py) and the attack (tests/test_attack.py).

Run: pytest tests/test_text.py
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from xstilts.text.edits import Edit, apply_edits
from xstilts.text.lexicon import Lexicon
from xstilts.text.scripts import Token
from xstilts.text.stream import Stream
from xstilts.text.translations import fit_translation, replaceable

TEXT = Path(__file__).resolve().parents[1] / "src" / "xstilts" / "text"
# What the toolkit may import of xstilts besides itself: modules that import nothing heavy.
ALLOWED = {"xstilts.schema", "xstilts.io", "xstilts.errors"}


def test_stream_is_deterministic_and_keyed() -> None:
    a = [Stream("char_noise", 0, "de", "12").randrange(1000) for _ in range(3)]
    b = [Stream("char_noise", 0, "de", "12").randrange(1000) for _ in range(3)]
    assert a == b
    s1, s2 = Stream("x", 0, "de", "12"), Stream("x", 0, "de", "13")
    assert [s1.random() for _ in range(5)] != [s2.random() for _ in range(5)]


def test_stream_values_are_pinned() -> None:
    # SHA-256 based, independent of Python's `random`: these values must never change, or every
    # published variant would change with them.
    stream = Stream("family", 0, "en", "1")
    assert [stream.randrange(100) for _ in range(5)] == [45, 28, 69, 36, 64]
    assert Stream("family", 0, "en", "1").random() == pytest.approx(0.19530927287734678)


def test_stream_helpers() -> None:
    stream = Stream("k")
    assert sorted(stream.shuffled(range(10))) == list(range(10))
    assert all(0 <= stream.random() < 1 for _ in range(100))
    assert stream.choice("abc") in "abc"
    with pytest.raises(ValueError):
        stream.randrange(0)


def test_apply_edits_uses_original_offsets() -> None:
    text = "abcdef"
    edits = [Edit(1, "x", 4, 5, "e", "EE"), Edit(1, "x", 0, 1, "a", "")]
    assert apply_edits(text, edits) == "bcdEEf"


def test_apply_edits_rejects_overlap_and_stale_before() -> None:
    with pytest.raises(AssertionError):
        apply_edits("abcdef", [Edit(1, "x", 0, 3, "abc", ""), Edit(1, "x", 2, 4, "cd", "")])
    with pytest.raises(AssertionError):
        apply_edits("abcdef", [Edit(1, "x", 0, 1, "z", "")])


def test_translations_are_fitted_to_their_place() -> None:
    lexicon = Lexicon("zh", "en", {"河流": "river", "长": "long"}, "test")
    text = "这条河流很长"
    river, long = Token(2, 4, "河流"), Token(5, 6, "长")
    assert replaceable(river, "zh", lexicon)
    assert not replaceable(long, "zh", lexicon)  # one Han character: mostly a particle, never replaced
    assert fit_translation(text, river, "river") == " river "  # Latin between Han: padded
    assert fit_translation("Fluss ist lang.", Token(0, 5, "Fluss"), "river") == "River"  # sentence start


def _xstilts_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
        names += [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
        found.update(n for n in names if n.split(".")[0] == "xstilts")
    return found


@pytest.mark.parametrize("module", sorted(p.name for p in TEXT.glob("*.py")))
def test_the_toolkit_imports_only_itself_and_light_modules(module: str) -> None:
    outside = {m for m in _xstilts_imports(TEXT / module) if not m.startswith("xstilts.text.")}
    assert outside <= ALLOWED, f"{module} imports {sorted(outside - ALLOWED)}"


@pytest.mark.slow
def test_importing_the_toolkit_loads_no_family_and_no_attack() -> None:
    modules = [f"xstilts.text.{p.stem}" for p in sorted(TEXT.glob("*.py")) if p.stem != "__init__"]
    script = f"import sys; import {', '.join(modules)}; print('\\n'.join(sorted(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TEXT.parents[1]), *sys.path])}
    loaded = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True, env=env)
    ours = {m for m in loaded.stdout.split() if m.split(".")[0] == "xstilts"}
    assert {m for m in ours if not m.startswith("xstilts.text")} <= ALLOWED | {"xstilts"}, sorted(ours)
