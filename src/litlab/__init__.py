"""litlab: the Keras course exercises as reproducible Hydra + Lightning projects.

    from litlab import train, load_run     # training and past runs from Python (litlab.api)

Importing the package is cheap on purpose: heavy modules (torch, lightning) are imported
by the submodules that need them, so `--help` and config errors answer at once.
"""

from typing import Any

__version__ = "0.1.0"
__all__ = ["load_run", "train"]


def __getattr__(name: str) -> Any:
    """`litlab.train` and `litlab.load_run` (`litlab.api`), imported when first used."""
    if name in __all__:
        from litlab import api

        return getattr(api, name)
    raise AttributeError(f"module 'litlab' has no attribute {name!r}")
