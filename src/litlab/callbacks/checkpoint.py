"""Lightning's ModelCheckpoint, following its run folder when the run is moved or copied."""

from pathlib import Path
from typing import Any

from lightning.pytorch.callbacks import ModelCheckpoint as LightningModelCheckpoint


class ModelCheckpoint(LightningModelCheckpoint):
    """Lightning's ModelCheckpoint; a run resumed from another folder keeps its best so far.

    Lightning restores the best score, best path and last path only when the checkpoint was
    written in the same folder; a run resumed after being moved or copied would forget its
    best and overwrite `best.ckpt` with a worse epoch. Here the saved paths are moved to this
    folder (same file names), so the resumed run compares with its real best.
    """

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        saved = state_dict.get("dirpath")
        if saved is not None and self.dirpath is not None and saved != self.dirpath:
            state_dict = {
                **state_dict,
                "dirpath": self.dirpath,
                "best_k_models": {
                    self._moved(path, saved): score
                    for path, score in state_dict.get("best_k_models", {}).items()
                },
                **{
                    key: self._moved(state_dict[key], saved)
                    for key in ("best_model_path", "kth_best_model_path", "last_model_path")
                    if state_dict.get(key)
                },
            }
        super().load_state_dict(state_dict)

    def _moved(self, path: str, saved_dir: str) -> str:
        """`path` under `saved_dir` as the same file under this callback's folder."""
        old = Path(path)
        if self.dirpath is None or old.parent != Path(saved_dir):
            return path
        return str(Path(self.dirpath) / old.name)
