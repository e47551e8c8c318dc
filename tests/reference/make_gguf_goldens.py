#!/usr/bin/env python3
"""Write tests/data/gguf/quant_types.gguf: for every tensor type Glassbox
dequantizes, a tensor of that type named after it ("Q4_K") and what PyPI
`gguf` dequantizes it to, as F32 ("Q4_K.expected").

Types `gguf` can quantize (F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0) quantize
random normal data; for the k-quants, which it only dequantizes, the blocks
are random bytes with finite half-float scales. F32 and F16 add edge values
(signed zero, subnormals, infinities). A 3-D F32 tensor "arange_2x3x64"
holding 0, 1, 2, ... checks the row-major shape.

    python3 -m pip install gguf numpy
    python3 tests/reference/make_gguf_goldens.py
"""

import os

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import GGUFWriter
from gguf.constants import GGML_QUANT_SIZES
from gguf.quants import dequantize, quantize

OUT = os.path.join(os.path.dirname(__file__), "..", "data", "gguf", "quant_types.gguf")
ROWS, COLS = 3, 512  # two 256-weight blocks per row for the k-quants

QUANTIZABLE = [T.F16, T.BF16, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0]
K_QUANTS = [T.Q2_K, T.Q3_K, T.Q4_K, T.Q5_K, T.Q6_K]
# Byte offsets of the half-float scales inside each k-quant block.
K_SCALE_OFFSETS = {T.Q2_K: [80, 82], T.Q3_K: [108], T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208]}


def random_k_blocks(rng, qtype):
    block_size, block_bytes = GGML_QUANT_SIZES[qtype]
    n_blocks = ROWS * COLS // block_size
    blocks = rng.integers(0, 256, size=(n_blocks, block_bytes), dtype=np.uint8)
    for offset in K_SCALE_OFFSETS[qtype]:
        scales = (rng.uniform(0.001, 0.05, size=n_blocks)).astype(np.float16)
        blocks[:, offset : offset + 2] = scales.view(np.uint8).reshape(n_blocks, 2)
    return blocks.reshape(ROWS, COLS // block_size * block_bytes)


def main():
    rng = np.random.default_rng(20240601)
    writer = GGUFWriter(OUT, arch="glassbox_test")
    writer.add_string("glassbox.purpose", "dequantization goldens")

    data = rng.standard_normal((ROWS, COLS)).astype(np.float32)
    edges = np.array([0.0, -0.0, 6e-8, -6e-8, 3e-5, 65504.0, np.inf, -np.inf], dtype=np.float32)
    data_f32 = data.copy()
    data_f32[0, : edges.size] = edges
    data_f32[1, 0] = 1e-40  # float32 subnormal
    writer.add_tensor("F32", data_f32)
    writer.add_tensor("F32.expected", data_f32)

    for qtype in QUANTIZABLE:
        source = data.copy()
        if qtype == T.F16:
            source[0, : edges.size] = edges
        quantized = quantize(source, qtype)
        writer.add_tensor(qtype.name, quantized, raw_dtype=qtype)
        writer.add_tensor(qtype.name + ".expected", dequantize(quantized, qtype).astype(np.float32))

    for qtype in K_QUANTS:
        blocks = random_k_blocks(rng, qtype)
        writer.add_tensor(qtype.name, blocks, raw_dtype=qtype)
        writer.add_tensor(qtype.name + ".expected", dequantize(blocks, qtype).astype(np.float32))

    writer.add_tensor("arange_2x3x64", np.arange(2 * 3 * 64, dtype=np.float32).reshape(2, 3, 64))

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    print(OUT, os.path.getsize(OUT), "bytes")


if __name__ == "__main__":
    main()
