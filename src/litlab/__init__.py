"""litlab: the Keras course exercises as reproducible Hydra + Lightning projects.

Importing the package is cheap on purpose: heavy modules (torch, lightning) are imported
by the submodules that need them, so `--help` and config errors answer at once.
"""

__version__ = "0.1.0"
