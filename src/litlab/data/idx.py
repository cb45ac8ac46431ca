"""Reader of the IDX format used by MNIST and Fashion-MNIST (plain or gzip-compressed)."""

import gzip
import zlib
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from litlab.errors import DataError

# IDX header: two zero bytes, a type code, the number of dimensions, then one big-endian
# uint32 size per dimension (http://yann.lecun.com/exdb/mnist/).
_DTYPES: dict[int, str] = {
    0x08: "u1",
    0x09: "i1",
    0x0B: ">i2",
    0x0C: ">i4",
    0x0D: ">f4",
    0x0E: ">f8",
}


def read_idx(path: Path) -> Tensor:
    """Read one IDX file (`.gz` or not) into a tensor of the shape its header declares."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as err:  # zlib: a corrupt .gz body
        raise DataError(f"{path}: cannot read this IDX file ({err}); download it again.") from err
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _DTYPES:
        raise DataError(f"{path}: not an IDX file (bad magic number); download it again.")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path}: truncated IDX header; download it again.")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    dtype = np.dtype(_DTYPES[raw[2]])
    expected = header + int(np.prod(shape)) * dtype.itemsize
    if len(raw) != expected:
        raise DataError(
            f"{path}: holds {len(raw)} bytes but its header {list(shape)} needs {expected}: "
            "the file is truncated or corrupt; download it again."
        )
    array = np.frombuffer(raw, dtype, offset=header).reshape(shape)
    return torch.from_numpy(array.astype(array.dtype.newbyteorder("="), copy=True))
