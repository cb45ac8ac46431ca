"""Small learnable datasets written in each dataset's real on-disk format.

The tests and the benchmark use them so the real readers are what runs, with no download.
Images of class k carry a bright square at a class-specific place over random noise, so a
small model learns them quickly but not trivially.
"""

import json
import pickle
from collections.abc import Sequence
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


CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                   "ship", "truck")  # fmt: skip


def write_cifar10(
    data_dir: Path, *, batches: Sequence[int] = (40,) * 5, test: int = 60, seed: int = 0
) -> Path:
    """Write `<data_dir>/cifar-10-batches-py/` pickle batches (any sizes); return that folder.

    Keys and types as in the release re-pickled by Python 3: bytes keys, `data` a uint8 array
    (N, 3072) of 1024 red, 1024 green, then 1024 blue values per row, `labels` a list of ints.
    """
    rng = np.random.default_rng(seed)
    folder = Path(data_dir) / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    names = [f"data_batch_{i + 1}" for i in range(len(batches))] + ["test_batch"]
    for name, count in zip(names, [*batches, test], strict=True):
        labels = rng.integers(0, 10, size=count)
        images = class_patterns(labels, (3, 32, 32), rng)
        batch = {
            b"batch_label": name.encode(),
            b"labels": labels.tolist(),
            b"data": images.reshape(count, -1),
            b"filenames": [f"{name}_{i:05d}.png".encode() for i in range(count)],
        }
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
    meta = {
        b"num_cases_per_batch": max(batches),
        b"num_vis": 3072,
        b"label_names": [name.encode() for name in CIFAR10_CLASSES],
    }
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))
    return folder


BOSTON_HEADER = "CRIM,ZN,INDUS,CHAS,NOX,RM,AGE,DIS,RAD,TAX,PTRATIO,B,LSTAT,MEDV"


def write_boston(data_dir: Path, *, rows: int = 506, seed: int = 0, noise: float = 1.0) -> Path:
    """Write `<data_dir>/boston/boston_housing.csv`; return the file. 506 rows, as the real
    file has, are what `data.test_set=keras` (Boston's default) cuts its test rows from.

    Features in the real columns' rough units; MEDV = 22 + 6 z(RM) - 5 z(LSTAT) - 2 z(CRIM)
    + noise, where z() is the feature standardised by its generating mean and spread.
    """
    rng = np.random.default_rng(seed)
    centre = np.array([3.6, 11, 11, 0, 0.55, 6.3, 69, 3.8, 9.5, 408, 18.5, 357, 12.7])
    spread = np.array([8.6, 23, 6.9, 1, 0.12, 0.7, 28, 2.1, 8.7, 169, 2.2, 91, 7.1])
    z = rng.standard_normal((rows, len(centre)))
    features = centre + spread * z
    features[:, 3] = (z[:, 3] > 1).astype(float)  # CHAS is a 0/1 dummy
    medv = 22 + 6 * z[:, 5] - 5 * z[:, 12] - 2 * z[:, 0] + rng.normal(0, noise, rows)
    path = Path(data_dir) / "boston" / "boston_housing.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savetxt(
        path,
        np.column_stack([features, medv]),
        fmt="%.5g",
        delimiter=",",
        header=BOSTON_HEADER,
        comments="",
    )
    return path


APPAREL_COLORS = ("black", "blue", "brown", "green", "red", "white")
APPAREL_ITEMS = ("dress", "shirt", "pants", "shorts", "shoes")
APPAREL_RGB = {
    "black": (20, 20, 20),
    "blue": (30, 60, 200),
    "brown": (120, 70, 30),
    "green": (30, 160, 50),
    "red": (210, 30, 30),
    "white": (235, 235, 235),
}


def write_apparel(data_dir: Path, *, per_folder: int = 4, seed: int = 0, csvs: bool = True) -> Path:
    """Write the apparel layout under `<data_dir>/apparel/`; return that folder.

    `clothes_dataset/<color>_<item>/*.jpg`: JPEGs of varied sizes, each its colour with noise
    plus a band of black and white stripes whose height encodes the item. If `csvs`, the split
    CSVs (60/20/20) in both published forms, paths with Windows separators:
    `csv_data/nocolorinfo/{train,val,test}.csv` (labels 0.0/1.0) and
    `csv_data/colorinfo/*_color.csv` (0/1 and a colour index).
    """
    from PIL import Image

    rng = np.random.default_rng(seed)
    root = Path(data_dir) / "apparel"
    labels = [*APPAREL_COLORS, *APPAREL_ITEMS]
    rows = []
    for color in APPAREL_COLORS:
        for item_index, item in enumerate(APPAREL_ITEMS):
            folder = root / "clothes_dataset" / f"{color}_{item}"
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(per_folder):
                height, width = rng.integers(24, 64, size=2)
                pixels = np.array(APPAREL_RGB[color]) + rng.normal(0, 12, (height, width, 3))
                top = int(height * item_index / len(APPAREL_ITEMS))
                # black and white stripes: a signal of the same sign on every background colour
                stripes = 255.0 * (np.arange(width) * 8 // width % 2)[:, None]  # (W, 1)
                pixels[top : top + height // len(APPAREL_ITEMS)] = stripes
                name = f"{color}{item}{i:03d}.jpg"
                image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
                image.save(folder / name, quality=92)
                row = [float(label in (color, item)) for label in labels]
                rows.append((f"./clothes_dataset\\{color}_{item}\\{name}", row, color))
    if csvs:
        order = rng.permutation(len(rows))
        cut = np.array([0.6, 0.8]) * len(rows)
        parts = np.split(order, cut.astype(int))
        for split, part in zip(("train", "val", "test"), parts, strict=True):
            chosen = [rows[i] for i in part]
            nocolor = [(path, [f"{v:.1f}" for v in row]) for path, row, _ in chosen]
            with_color = [
                (path, [f"{v:.0f}" for v in row] + [str(APPAREL_COLORS.index(c))])
                for path, row, c in chosen
            ]
            csv_dir = root / "csv_data"
            _write_apparel_csv(csv_dir / "nocolorinfo" / f"{split}.csv", labels, nocolor)
            _write_apparel_csv(
                csv_dir / "colorinfo" / f"{split}_color.csv", [*labels, "color"], with_color
            )
    return root


def _write_apparel_csv(path: Path, columns: list[str], rows: list[tuple[str, list[str]]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [",".join(["image", *columns])] + [",".join([p, *values]) for p, values in rows]
    path.write_text("\n".join(lines) + "\n")


def write_iceberg(data_dir: Path, *, records: int = 60, seed: int = 0, na_every: int = 4) -> Path:
    """Write `<data_dir>/iceberg/train.json` in Kaggle's layout; return the file.

    Bands are dB noise around -22 (band_2 around -28); a ship is a bright thin streak, an
    iceberg a dimmer round blob. Every `na_every`-th record has `inc_angle` "na".
    """
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:75, :75]
    entries = []
    for index in range(records):
        is_iceberg = int(rng.integers(0, 2))
        cy, cx = rng.integers(25, 50, size=2)
        if is_iceberg:
            target = 8.0 * (((yy - cy) ** 2 + (xx - cx) ** 2) < 36)
        else:
            target = 16.0 * ((abs(yy - cy) < 2) & (abs(xx - cx) < 10))
        bands = [
            rng.normal(mean, 2.0, (75, 75)) + target * gain
            for mean, gain in ((-22.0, 1.0), (-28.0, 0.6))
        ]
        angle = "na" if index % na_every == na_every - 1 else round(float(rng.uniform(30, 45)), 4)
        entries.append(
            {
                "id": f"{index:08x}",
                "band_1": np.round(bands[0], 2).ravel().tolist(),
                "band_2": np.round(bands[1], 2).ravel().tolist(),
                "inc_angle": angle,
                "is_iceberg": is_iceberg,
            }
        )
    path = Path(data_dir) / "iceberg" / "train.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(entries))
    return path


SHAPE_CLASSES = ("circle", "square", "stripe")


def _shape_image(k: int, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """uint8 (H, W, 3) noise with a bright block whose place (left, middle or right third,
    or top/bottom for k >= 3) encodes class k, whatever the image's size."""
    pixels = rng.integers(0, 90, size=(height, width, 3)).astype(np.uint8)
    third = max(1, width // 3)
    left = (k % 3) * third
    top, bottom = (0, height // 2) if k < 3 else (height // 2, height)
    pixels[top:bottom, left : left + third] = 230
    return pixels


def _save_image(pixels: np.ndarray, path: Path, index: int) -> Path:
    """Save as JPEG or PNG in turn, and as grey, RGB or RGBA in turn: every reader's case."""
    from PIL import Image

    image = Image.fromarray(pixels)
    mode = ("RGB", "L", "RGBA")[index % 3]
    path = path.with_suffix(".jpg" if index % 2 == 0 and mode != "RGBA" else ".png")
    image.convert(mode).save(path)
    return path


def write_image_folder(
    root: Path,
    *,
    classes: Sequence[str] = SHAPE_CLASSES,
    per_class: int = 6,
    splits: Sequence[str] = (),
    seed: int = 0,
) -> Path:
    """Write `<root>/<class>/*` (or `<root>/<split>/<class>/*` for each of `splits`): images
    of varied sizes, JPEG and PNG, grey, RGB and RGBA; class k carries a bright block at a
    place of its own (see `_shape_image`). Return `root`."""
    rng = np.random.default_rng(seed)
    for split in splits or [""]:
        for k, name in enumerate(classes):
            folder = Path(root) / split / name
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(per_class):
                height, width = (int(v) for v in rng.integers(12, 40, size=2))
                _save_image(_shape_image(k, height, width, rng), folder / f"{name}{i:03d}", i)
    return Path(root)


def write_image_table(
    folder: Path, *, rows: int = 24, seed: int = 0, csv: str = "images.csv", subdir: str = "imgs"
) -> Path:
    """Write images below `<folder>/<subdir>/` and `<folder>/<csv>` listing them: `file`
    (relative paths with Windows separators), `kind` (none, left, top or both) and two 0/1
    columns `left`, `top` saying which bright bar each image has. Return the CSV."""
    rng = np.random.default_rng(seed)
    lines = ["file,kind,left,top"]
    for i in range(rows):
        left, top = int(rng.integers(0, 2)), int(rng.integers(0, 2))
        height, width = (int(v) for v in rng.integers(16, 40, size=2))
        pixels = rng.integers(0, 90, size=(height, width, 3)).astype(np.uint8)
        if left:
            pixels[:, : max(2, width // 4)] = 230
        if top:
            pixels[: max(2, height // 4)] = 230
        kind = ("none", "left", "top", "both")[left + 2 * top]
        image_dir = Path(folder) / subdir / kind
        image_dir.mkdir(parents=True, exist_ok=True)
        path = _save_image(pixels, image_dir / f"img{i:03d}", i)
        lines.append(f"{subdir}\\{kind}\\{path.name},{kind},{left},{top}")
    path = Path(folder) / csv
    path.write_text("\n".join(lines) + "\n")
    return path


def write_table(path: Path, *, rows: int = 120, seed: int = 0) -> Path:
    """Write a CSV with numeric features `x1`, `x2`, a categorical `color` (red, green,
    blue) and targets of every kind, learnable from them: `price` (regression), `label`
    (binary: no/yes), `grade` (classification: A/B/C) and `rating` (whole numbers 1..5)."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(0, 1, rows), rng.normal(5, 2, rows)
    colors = rng.choice(["red", "green", "blue"], size=rows)
    bonus = np.select([colors == "red", colors == "green"], [3.0, -3.0], 0.0)
    price = 10 + 4 * x1 + (x2 - 5) + bonus + rng.normal(0, 0.3, rows)
    label = np.where(x1 + bonus / 3 > 0, "yes", "no")
    grade = np.select([price < 8, price < 12], ["C", "B"], "A")
    rating = np.clip(np.round(3 + x1), 1, 5).astype(int)
    lines = ["x1,color,x2,price,label,grade,rating"]
    for row in zip(x1, colors, x2, price, label, grade, rating, strict=True):
        lines.append(f"{row[0]:.4f},{row[1]},{row[2]:.4f},{row[3]:.3f},{row[4]},{row[5]},{row[6]}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path
