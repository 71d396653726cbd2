"""Shared helpers: the `engram` binary of the same checkout (under CARGO_TARGET_DIR if set;
ENGRAM_BIN overrides it) and a CSV reader that keeps the command line's text, so numbers are
compared bit for bit."""

import csv
import io
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


def engram_bin() -> str:
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    b = os.environ.get("ENGRAM_BIN", str(target / "release" / "engram"))
    if not Path(b).is_file():
        pytest.fail(f"no engram binary at {b}: build it with `cargo build --release` or set ENGRAM_BIN")
    return b


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([engram_bin(), *args], capture_output=True, text=True, cwd=ROOT)


def cli_table(*args: str) -> dict:
    """The CSV a query command prints, as {column: list of field text}."""
    r = cli(*args)
    assert r.returncode == 0, r.stderr
    rows = list(csv.reader(io.StringIO(r.stdout)))
    header, body = rows[0], rows[1:]
    return {h: [row[i] for row in body] for i, h in enumerate(header)}


def cli_error(*args: str) -> str:
    """The one-line message of a refused command, without the `error: ` prefix."""
    r = cli(*args)
    assert r.returncode != 0
    line = r.stderr.strip().splitlines()[-1]
    assert line.startswith("error: "), line
    return line[len("error: "):]


def same(py: dict, text: dict) -> None:
    """Every column of a Python table equals the CLI's text: floats bit for bit (empty = NaN),
    integers, booleans and text exactly."""
    assert list(py) == list(text), (list(py), list(text))
    for name, col in py.items():
        col = np.asarray(col).reshape(-1)
        fields = text[name]
        assert len(col) == len(fields), name
        for v, f in zip(col, fields):
            if col.dtype.kind == "f":
                if f == "":
                    assert np.isnan(v), (name, v, f)
                else:
                    w = float(f)
                    assert (np.isnan(v) and np.isnan(w)) or v == w and np.signbit(v) == np.signbit(w), (name, v, f)
            elif col.dtype.kind == "b":
                assert str(bool(v)).lower() == f, (name, v, f)
            elif col.dtype.kind in "iu":
                assert str(int(v)) == f, (name, v, f)
            else:
                assert str(v) == f, (name, v, f)
