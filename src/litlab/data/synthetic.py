"""Small learnable datasets written in each dataset's real on-disk format.

The tests and the benchmark use them so the real readers are what runs, with no download.
Images of class k carry a bright square at a class-specific place over random noise, so a
small model learns them quickly but not trivially.
"""

from pathlib import Path

import numpy as np


def class_patterns(
    labels: np.ndarray, shape: tuple[int, ...], rng: np.random.Generator, num_classes: int = 10
) -> np.ndarray:
    """uint8 images (N, *shape) of noise plus a square whose position encodes the label."""
    *_, height, width = shape
    images = rng.integers(0, 90, size=(len(labels), *shape), dtype=np.uint8)
    side = max(2, min(height, width) // 5)
    cols = max(1, (width - side) // side + 1)
    for k in range(num_classes):
        row, col = divmod(k, cols)
        top, left = (row * side) % (height - side + 1), (col * side) % (width - side + 1)
        images[labels == k, ..., top : top + side, left : left + side] = 230
    return images


def _write_idx(path: Path, array: np.ndarray) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape
    )
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def write_mnist(
    data_dir: Path,
    folder: str = "MNIST",
    *,
    train: int = 600,
    test: int = 200,
    size: int = 28,
    seed: int = 0,
    gzip: bool = False,
) -> Path:
    """Write `<data_dir>/<folder>/raw/` IDX files as torchvision keeps them; return that folder."""
    import gzip as gz

    rng = np.random.default_rng(seed)
    raw = Path(data_dir) / folder / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for prefix, count in (("train", train), ("t10k", test)):
        labels = rng.integers(0, 10, size=count).astype(np.uint8)
        images = class_patterns(labels, (size, size), rng)
        for kind, array in (("images-idx3", images), ("labels-idx1", labels)):
            path = raw / f"{prefix}-{kind}-ubyte"
            _write_idx(path, array)
            if gzip:
                Path(f"{path}.gz").write_bytes(gz.compress(path.read_bytes()))
                path.unlink()
    return raw
