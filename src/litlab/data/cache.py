"""Decode a dataset once; reuse the decoded tensors while the source files are unchanged."""

import hashlib
import logging
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from torch import Tensor

log = logging.getLogger(__name__)

# Bump when a reader changes what it returns, so old caches are not reused.
CACHE_FORMAT = 1


def cache_key(name: str, sources: Sequence[Path], **options: object) -> str:
    """A key that changes when any source file's size or mtime, or any decode option, changes."""
    parts = [name, str(CACHE_FORMAT), repr(sorted(options.items()))]
    for path in sources:
        stat = path.stat()
        parts.append(f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()[:16]


def load_or_decode(
    cache_dir: Path | None,
    name: str,
    sources: Sequence[Path],
    decode: Callable[[], dict[str, Tensor]],
    **options: object,
) -> dict[str, Tensor]:
    """Return the cached tensors for `sources`, decoding (and caching) them when needed.

    A cache folder that cannot be written (read-only, full) only costs the next run a decode.
    """
    if cache_dir is None:
        return decode()
    slug = re.sub(r"[^\w.-]+", "_", name)  # "Boston housing" -> Boston_housing
    file = Path(cache_dir) / f"{slug}-{cache_key(name, sources, **options)}.pt"
    if file.exists():
        try:
            cached = torch.load(file, weights_only=True)
        except Exception as err:  # a damaged cache is re-made, never trusted
            log.warning("Ignoring unreadable cache %s (%s); decoding again.", file, err)
        else:
            if _is_decoded(cached):
                return cached
            log.warning("Ignoring cache %s: it holds no decoded splits; decoding again.", file)
    tensors = decode()
    partial = file.with_name(f".{file.name}.partial")  # beside the cache: renamed, never copied
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        torch.save(tensors, partial)
        os.replace(partial, file)
    except (OSError, RuntimeError) as err:  # torch reports a full disk as a RuntimeError
        partial.unlink(missing_ok=True)
        log.warning("Could not write the data cache %s (%s); continuing without it.", file, err)
    return tensors


def _is_decoded(content: object) -> bool:
    """Whether `content` is what `decode` returns: tensors by split, the train ones included."""
    keys = {f"{split}_{part}" for split in ("train", "val", "test") for part in ("x", "y")}
    return (
        isinstance(content, dict)
        and {"train_x", "train_y"} <= content.keys() <= keys
        and all(isinstance(value, torch.Tensor) for value in content.values())
    )
