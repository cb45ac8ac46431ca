"""Where the files of a generic dataset are: class folders of images, split CSVs.

Light on purpose (no torch, no Lightning): the config reads class names through it while it
is composed (`litlab.data.peek`), and the datamodules read their files through it.

    <root>/<class>/*.jpg                         one folder per class, split with the seed
    <root>/train/<class>/*.jpg [val/ test/]      the splits as given
    <folder>/train*.csv [val*.csv test*.csv]     split tables (one CSV alone: all of it is train)
"""

from pathlib import Path

from litlab.errors import DataError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp")
SPLITS = ("train", "val", "test")
FOLDER_LAYOUT = (
    "one sub-folder of images per class, <root>/<class>/*.jpg (PNG, JPEG, ...), or "
    "<root>/train/<class>/*.jpg with optional val/ and test/ beside train/"
)


def visible(path: Path) -> bool:
    """Not hidden, and not an archiver's or notebook's own (.DS_Store, __MACOSX, ...)."""
    return not path.name.startswith((".", "__"))


def subfolders(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and visible(p))


def image_files(folder: Path) -> list[Path]:
    """Every image file below `folder` (at any depth), sorted."""
    return sorted(
        p
        for p in folder.rglob("*")
        if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file() and visible(p)
    )


def split_folders(root: Path) -> dict[str, Path]:
    """The folder of each split an image folder ships: `{"train": root}` for one folder per
    class, or its `train/` (`val/`, `test/`) sub-folders.

    Raises:
        DataError: `root` does not exist or is not a folder.
    """
    if not root.is_dir():
        state = "is a file, not a folder" if root.exists() else "does not exist"
        raise DataError(
            f"Image folder not found: {root.resolve()} {state} (data.root). Give a folder that "
            f"holds {FOLDER_LAYOUT}."
        )
    if not (root / "train").is_dir():
        return {"train": root}
    return {split: root / split for split in SPLITS if (root / split).is_dir()}


def folder_classes(root: Path) -> list[str]:
    """The class names of an image folder: its train folder's sub-folders, sorted.

    Raises:
        DataError: no such folder, or one without class folders.
    """
    train = split_folders(root)["train"]
    classes = [p.name for p in subfolders(train)]
    if not classes:
        raise DataError(
            f"{train.resolve()} holds no class folders: an image folder holds {FOLDER_LAYOUT}."
        )
    return classes


def split_tables(path: Path) -> dict[str, Path]:
    """The split CSVs at `path`: a CSV file is the train table; a folder gives its
    `train*.csv`, `val*.csv` and `test*.csv`, one at most of each ({} if none, or no folder).

    Raises:
        DataError: a folder with several CSVs for one split.
    """
    if path.is_file():
        return {"train": path}
    if not path.is_dir():
        return {}
    found = {}
    for split in SPLITS:
        matches = sorted(path.glob(f"{split}*.csv"))
        if len(matches) > 1:
            raise DataError(
                f"{path}: several {split} CSVs ({', '.join(p.name for p in matches)}); keep one "
                "per split."
            )
        if matches:
            found[split] = matches[0]
    return found
