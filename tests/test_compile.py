"""compile=true: the network is compiled in place, its checkpoints load without it."""

from pathlib import Path

import pytest
import torch

from litlab.entry import train_command as train


@pytest.mark.slow  # ~20 s on a fresh machine: compiling the net (later runs use a cache)
def test_compiled_net_trains_and_checkpoints_plain_weights(compose_cfg, tmp_path):
    cfg = compose_cfg(["compile=true", "debug=limit"])
    metrics = train(cfg)
    best = Path(cfg.paths.output_dir) / "checkpoints" / "best.ckpt"
    weights = torch.load(best, weights_only=True)["state_dict"]
    assert weights and not any("_orig_mod" in name for name in weights)
    plain = train(
        compose_cfg(["train=false", f"ckpt_path={best}", f"paths.output_dir={tmp_path}/t"])
    )
    assert plain["test/acc"] == pytest.approx(metrics["test/acc"], abs=1e-6)
