"""Writes test/fixtures/ggml-quants.json: reference quantizations and dequantizations for every GGML block
type promptune reads and writes, produced by the real implementations, not by a re-implementation:
quantize_row_<type>_ref from ggml itself (libggml-base.so, which node-llama-cpp ships in bench/), and the
dequantization of the `gguf` Python package (llama.cpp's gguf-py), cross-checked with ggml's own
dequantize_row_<type>.

Our quantizer must write the same bytes as ggml's; our dequantization must give the same floats as gguf-py
on the random blocks. Inputs: a few hard rows (normal weights, heavy outliers, an all-zero sub-block, a constant sub-block, tiny
values, all-positive) quantized by ggml; plus random bytes per type (with finite half-precision scales), so
dequantization also meets bit patterns a quantizer would not write.
Run: python -m venv /tmp/venv && /tmp/venv/bin/pip install gguf numpy  (the machine's local index has them)
     npm install --prefix bench   (for libggml-base.so)
     /tmp/venv/bin/python tools/reference/ggml_quants.py"""
import base64
import ctypes
import glob
import json
import os

import numpy as np
from gguf import GGMLQuantizationType, dequantize

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
OUT = os.path.join(ROOT, "test", "fixtures", "ggml-quants.json")

# name: (ggml type, values per block, bytes per block, offsets of its half-precision scale fields)
TYPES = {
    "Q4_0": (GGMLQuantizationType.Q4_0, 32, 18, [0]),
    "Q4_1": (GGMLQuantizationType.Q4_1, 32, 20, [0, 2]),
    "Q5_0": (GGMLQuantizationType.Q5_0, 32, 22, [0]),
    "Q5_1": (GGMLQuantizationType.Q5_1, 32, 24, [0, 2]),
    "Q8_0": (GGMLQuantizationType.Q8_0, 32, 34, [0]),
    "Q2_K": (GGMLQuantizationType.Q2_K, 256, 84, [80, 82]),
    "Q3_K": (GGMLQuantizationType.Q3_K, 256, 110, [108]),
    "Q4_K": (GGMLQuantizationType.Q4_K, 256, 144, [0, 2]),
    "Q5_K": (GGMLQuantizationType.Q5_K, 256, 176, [0, 2]),
    "Q6_K": (GGMLQuantizationType.Q6_K, 256, 210, [208]),
}


def library():
    found = glob.glob(os.path.join(ROOT, "bench", "node_modules", "@node-llama-cpp", "linux-x64", "bins", "*", "libggml-base.so"))
    if not found:
        raise SystemExit("libggml-base.so not found: run `npm install --prefix bench` first")
    return ctypes.CDLL(found[0])


def hard_rows(rng):
    """Eight rows of 256 values, each a case quantizers get wrong when they are slightly off."""
    rows = [
        rng.normal(0, 0.02, 256),  # a freshly initialized weight row
        rng.normal(0, 1.0, 256),
        np.where(rng.random(256) < 0.03, rng.normal(0, 8, 256), rng.normal(0, 0.05, 256)),  # outliers
        np.concatenate([np.zeros(32), rng.normal(0, 0.1, 224)]),  # an all-zero sub-block
        np.concatenate([np.full(32, 0.25), rng.normal(0, 0.1, 224)]),  # a constant sub-block
        rng.normal(0, 1e-6, 256),  # tiny values
        np.abs(rng.normal(0.3, 0.1, 256)),  # all positive (min clamps to zero)
        -np.abs(rng.normal(0.3, 0.1, 256)),  # all negative
    ]
    return np.concatenate(rows).astype(np.float32)


def random_blocks(rng, blocks, block_bytes, half_offsets):
    raw = rng.integers(0, 256, size=(blocks, block_bytes), dtype=np.uint8)
    for offset in half_offsets:
        # finite halves of ordinary magnitude: sign, exponent 5..20 (2^-10..2^5), any mantissa
        halves = (rng.integers(0, 2, blocks) << 15) | (rng.integers(5, 21, blocks) << 10) | rng.integers(0, 1024, blocks)
        raw[:, offset] = halves & 0xFF
        raw[:, offset + 1] = halves >> 8
    return raw.reshape(-1)


def encoded(array):
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode()


def main():
    ggml = library()
    rng = np.random.default_rng(20261201)
    values = hard_rows(rng)
    fixture = {"values": encoded(values), "types": {}}
    for name, (qtype, block_values, block_bytes, half_offsets) in TYPES.items():
        lower = name.lower().replace("_k", "_K")
        quantize_row = getattr(ggml, f"quantize_row_{lower}_ref")
        dequantize_row = getattr(ggml, f"dequantize_row_{lower}")
        quantize_row.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
        dequantize_row.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
        count = values.size
        stored = np.zeros(count // block_values * block_bytes, dtype=np.uint8)
        quantize_row(values.ctypes.data, stored.ctypes.data, count)
        ours = dequantize(stored, qtype).reshape(-1).astype(np.float32)
        theirs = np.zeros(count, dtype=np.float32)
        dequantize_row(stored.ctypes.data, theirs.ctypes.data, count)
        assert np.array_equal(ours, theirs), f"{name}: gguf-py and ggml disagree on dequantization"

        blocks = 2 if block_values == 256 else 8
        raw = random_blocks(rng, blocks, block_bytes, half_offsets)
        random_values = dequantize(raw, qtype).reshape(-1).astype(np.float32)
        fixture["types"][name] = {
            "quantized": encoded(stored),
            "randomBlocks": encoded(raw),
            "randomDequantized": encoded(random_values),
            "rmse": float(np.sqrt(np.mean((ours - values) ** 2))),
        }
        print(f"{name}: {count} values -> {stored.size} bytes, rmse {fixture['types'][name]['rmse']:.3g}")
    with open(OUT, "w") as file:
        json.dump(fixture, file, indent=1)
        file.write("\n")
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
