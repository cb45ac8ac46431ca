"""litlab's Optuna sweeper for Hydra: `hydra/sweeper=litlab_optuna` (see conf/hparams_search/).

Hydra finds it by scanning the `hydra_plugins` namespace package, installed with litlab.
"""
