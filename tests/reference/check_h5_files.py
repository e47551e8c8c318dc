#!/usr/bin/env python3
"""Checks with plain h5py that a file written by Glassbox's HDF5 writer reads as
docs/file-formats.md promises: UTF-8 variable-length strings that come back as
str, float32 plot data, float64/int64 datasets, token axes (raw strings and
int64 positions), and the plot attributes with the prompt and its tokens.

The file is the one test_formats writes in Plot.ReferenceFile:
    GLASSBOX_H5_REFERENCE_OUT=/tmp/ref.h5 build/tests/test_formats --gtest_filter=Plot.ReferenceFile
    python3 tests/reference/check_h5_files.py /tmp/ref.h5
The expected values below mirror reference_plots() in tests/formats/test_plot.cpp.
"""
import math
import re
import sys

import h5py
import numpy as np

TOKENS = ["<|endoftext|>", " café", "日本"]
TOKEN_IDS = [50256, 464, 3290]
PROMPT = "<|endoftext|> café日本"
NAN = float("nan")

# name -> (kind, title, x_label, y_label, value_label, shape, data, x, y, series)
PLOTS = {
    "attention_L0H1": ("heatmap", "Attention pattern L0H1", "key token", "query token", "probability",
                       (3, 3), [1.0, NAN, NAN, 0.25, 0.75, NAN, 0.5, 0.125, 0.375], TOKENS, TOKENS, None),
    "logit_lens": ("line", "Logit lens", "layer", "logit", "", (2, 4),
                   [0.5, 1.5, 2.5, 3.5, -1.0, -2.0, -3.0, -4.0], [0.0, 1.0, 2.0, 3.0], None, ["Ġthe", "Ġcat"]),
    "norms": ("histogram", "Residual norms", "norm", "", "count", (3,), [4, 0, 7], [0.0, 0.5, 1.0], None, None),
    "head_scores": ("table", "Induction scores", "", "", "", (2, 2), [0.1, 0.2, 0.3, 0.4], ["H0", "H1"],
                    ["L0", "L1"], None),
}

# name -> (x_positions, y_positions): the token axes
POSITIONS = {"attention_L0H1": ([0, 1, 2], [0, 1, 2])}


failures = []


def check(condition, what):
    if not condition:
        failures.append(what)


def check_utf8_strings(dataset, expected, what):
    info = h5py.check_string_dtype(dataset.dtype)
    check(info is not None and info.encoding == "utf-8" and info.length is not None,
          f"{what}: not fixed-length UTF-8 strings ({dataset.dtype})")
    check(list(dataset.asstr()[()]) == expected, f"{what}: {list(dataset.asstr()[()])} != {expected}")


def check_str_attr(obj, name, expected, what):
    # Fixed-length strings come back from h5py as bytes, UTF-8 encoded.
    value = obj.attrs.get(name)
    check(isinstance(value, bytes), f"{what} attr {name}: {type(value).__name__}, not bytes")
    value = value.decode("utf-8") if isinstance(value, bytes) else value
    if expected is not None:
        check(value == expected, f"{what} attr {name}: {value!r} != {expected!r}")


def check_axis(group, name, expected, what):
    if expected is None:
        check(name not in group, f"{what}/{name}: present but should be omitted")
    elif isinstance(expected[0], str):
        check_utf8_strings(group[name], expected, f"{what}/{name}")
    else:
        check(group[name].dtype == np.float64, f"{what}/{name}: dtype {group[name].dtype}, not float64")
        check(list(group[name][()]) == expected, f"{what}/{name}: {list(group[name][()])} != {expected}")


def check_int64s(group, name, expected, what):
    if expected is None:
        check(name not in group, f"{what}/{name}: present but should be omitted")
        return
    check(name in group and group[name].dtype == np.int64, f"{what}/{name}: missing or not int64")
    if name in group:
        check(list(group[name][()]) == expected, f"{what}/{name}: {list(group[name][()])} != {expected}")


def main(path):
    with h5py.File(path, "r") as f:
        check_str_attr(f, "glassbox_format", "plot-export", "/")
        check(f.attrs["format_version"] == 1 and f.attrs["format_version"].dtype == np.int64, "/ format_version")
        check(f.attrs["temperature"] == 0.5 and f.attrs["temperature"].dtype == np.float64, "/ temperature")
        check(f["tokens"].dtype == np.int64 and list(f["tokens"][()]) == TOKEN_IDS, "/tokens")
        check_utf8_strings(f["token_strings"], TOKENS, "/token_strings")
        check(f["scalar"].shape == () and f["scalar"][()] == 2.5, "/scalar: rank 0 float64 2.5")

        check(sorted(f["plots"].keys()) == sorted(PLOTS), f"/plots: {sorted(f['plots'].keys())}")
        for name, (kind, title, x_label, y_label, value_label, shape, data, x, y, series) in PLOTS.items():
            what = f"/plots/{name}"
            group = f[what]
            for attr, expected in [("kind", kind), ("title", title), ("x_label", x_label), ("y_label", y_label),
                                   ("value_label", value_label), ("probe", "attention_patterns"),
                                   ("params_json", '{"layer":0,"head":1}'), ("model", "gpt2"), ("prompt", PROMPT),
                                   ("glassbox_version", "0.1.0"), ("created_utc", None)]:
                check_str_attr(group, attr, expected, what)
            check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", group.attrs.get("created_utc", b"").decode()) is not None,
                  f"{what}: created_utc not ISO 8601 UTC")
            values = group["data"]
            check(values.dtype == np.float32, f"{what}/data: dtype {values.dtype}, not float32")
            check(values.shape == shape, f"{what}/data: shape {values.shape} != {shape}")
            flat = values[()].ravel().tolist()
            same = len(flat) == len(data) and all(
                (math.isnan(a) and math.isnan(b)) or a == np.float32(b) for a, b in zip(flat, data))
            check(same, f"{what}/data: {flat} != {data}")
            check_axis(group, "x", x, what)
            check_axis(group, "y", y, what)
            check_axis(group, "series", series, what)
            x_positions, y_positions = POSITIONS.get(name, (None, None))
            check_int64s(group, "x_positions", x_positions, what)
            check_int64s(group, "y_positions", y_positions, what)
            check_int64s(group, "tokens", TOKEN_IDS, what)

    if failures:
        print(f"{path}: {len(failures)} problem(s)")
        for failure in failures:
            print("  " + failure)
        return 1
    print(f"{path}: OK (h5py {h5py.__version__}, HDF5 {h5py.version.hdf5_version})")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: check_h5_files.py FILE.h5")
    sys.exit(main(sys.argv[1]))
