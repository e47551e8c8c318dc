#!/usr/bin/env python3
"""llama.cpp control vectors checked against PyPI `gguf` (gguf-py, the
library llama.cpp's own Python tools use).

1. Writes tests/data/control_vectors/gguf_py_written.gguf with
   gguf.GGUFWriter: general.architecture "controlvector",
   controlvector.model_hint "llama", controlvector.layer_count 4 as a uint32
   (as repeng writes it; llama-cvector-generator writes an int32), and F32
   tensors direction.1 .. direction.4 of 8 values, direction.L[i] =
   L / 2 + i / 8 - 1 (exact in float32). tests/formats/test_control_vector.cpp
   reads it value by value.

2. Reads tests/data/control_vectors/glassbox_written.gguf, which Glassbox's
   own writer made (the test ControlVector.WriterMatchesTheCommittedFile
   checks that it still writes those bytes), with gguf.GGUFReader and asserts
   the architecture, the hint "gpt2", layer_count 2 (int32), the tensors
   direction.1 and direction.3 (F32, 5 values each: direction.L[i] =
   (10 L + i) / 4 - 3) and nothing else. Regenerate that file with
       GLASSBOX_CONTROL_VECTOR_OUT=tests/data/control_vectors/glassbox_written.gguf \\
           test_formats --gtest_filter=ControlVector.WriterMatchesTheCommittedFile

    python3 -m pip install gguf numpy
    python3 tests/reference/make_control_vectors.py
"""

import os

import numpy as np
from gguf import GGMLQuantizationType, GGUFReader, GGUFValueType, GGUFWriter

DATA = os.path.join(os.path.dirname(__file__), "..", "data", "control_vectors")


def golden_direction(layer):
    return (layer / 2 + np.arange(8) / 8 - 1).astype(np.float32)


def write_golden(path):
    writer = GGUFWriter(path, "controlvector")
    writer.add_string("controlvector.model_hint", "llama")
    writer.add_uint32("controlvector.layer_count", 4)
    for layer in range(1, 5):
        writer.add_tensor(f"direction.{layer}", golden_direction(layer))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def string_field(reader, key):
    field = reader.get_field(key)
    assert field is not None, key
    assert field.types == [GGUFValueType.STRING], (key, field.types)
    return bytes(field.parts[field.data[0]]).decode("utf-8")


def check_glassbox_written(path):
    reader = GGUFReader(path)
    assert string_field(reader, "general.architecture") == "controlvector"
    assert string_field(reader, "controlvector.model_hint") == "gpt2"
    count = reader.get_field("controlvector.layer_count")
    assert count.types == [GGUFValueType.INT32], count.types
    assert int(count.parts[count.data[0]][0]) == 2
    assert sorted(reader.fields) == sorted(
        ["GGUF.version", "GGUF.tensor_count", "GGUF.kv_count", "general.architecture",
         "controlvector.model_hint", "controlvector.layer_count"]), sorted(reader.fields)
    assert [t.name for t in reader.tensors] == ["direction.1", "direction.3"]
    for t in reader.tensors:
        layer = int(t.name.split(".")[1])
        assert t.tensor_type == GGMLQuantizationType.F32, t.tensor_type
        assert list(t.shape) == [5], t.shape
        expected = ((10 * layer + np.arange(5)) / 4 - 3).astype(np.float32)
        assert np.array_equal(np.asarray(t.data), expected), (t.name, t.data)


def main():
    os.makedirs(DATA, exist_ok=True)
    golden = os.path.join(DATA, "gguf_py_written.gguf")
    write_golden(golden)
    # Our own reading of what we just wrote, through gguf-py, as a sanity check.
    reader = GGUFReader(golden)
    assert [t.name for t in reader.tensors] == [f"direction.{l}" for l in range(1, 5)]
    print("wrote", golden)
    check_glassbox_written(os.path.join(DATA, "glassbox_written.gguf"))
    print("gguf-py reads glassbox_written.gguf as expected")


if __name__ == "__main__":
    main()
