"""Writes the .npy fixtures of tests/formats.rs with NumPy (so the reader is checked against files
NumPy itself wrote). Run from this folder: python3 make_npy_fixtures.py"""
import numpy as np

base = np.arange(6, dtype=np.float64).reshape(2, 3) / 4.0  # 0, .25, .5, .75, 1, 1.25
np.save("f8_2x3.npy", base)
np.save("f4_2x3.npy", base.astype("<f4"))
np.save("f4be_2x3.npy", base.astype(">f4"))
np.save("i2be_2x3.npy", (base * 4).astype(">i2"))
np.save("u1_2x3.npy", (base * 4).astype("u1"))
np.save("f4_1x2x3.npy", base.astype("<f4").reshape(1, 2, 3))
np.save("f4_fortran_2x3.npy", np.asfortranarray(base.astype("<f4")))
np.save("f2_2x3.npy", base.astype("<f2"))
np.save("c8_2.npy", np.array([1 + 2j, 3], dtype=np.complex64))
np.save("labels_u1.npy", np.array([0, 1, 2], dtype=np.uint8))
np.save("labels_i4.npy", np.array([9, 0, 300], dtype=np.int32))
np.save("labels_i8_2x1.npy", np.array([[4], [5]], dtype=np.int64))
np.save("labels_neg.npy", np.array([1, -1], dtype=np.int64))
np.save("f4_nan.npy", np.array([[0, 1], [2, np.nan]], dtype="<f4"))
with open("f4_v2_2x3.npy", "wb") as f:
    np.lib.format.write_array(f, base.astype("<f4"), version=(2, 0))
