"""Keras 3 running the benchmark's MLP case, for bench/bench.py: the same net, data and batch.

    <python with tensorflow and keras> bench/keras_loop.py <spec.json> <result.json>

Needs only numpy, TensorFlow and Keras (not torch, not litlab): bench.py writes the split data
as .npy files and the net as its hidden sizes. `model.fit` trains with validation each epoch,
as the course's notebooks do; a callback times every epoch (training and validation) and the
steady-state steps.
"""

import json
import os
import sys
import time
from pathlib import Path


def main(spec_path: str, result_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(spec["threads"])
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import keras

    keras.utils.set_random_seed(spec["seed"])
    folder = Path(spec["arrays"])
    x_train, y_train, x_val, y_val = (
        np.load(folder / f"{name}.npy") for name in ("x_train", "y_train", "x_val", "y_val")
    )
    x_train, x_val = x_train.astype("float32") / 255.0, x_val.astype("float32") / 255.0
    layers = [keras.Input(x_train.shape[1:]), keras.layers.Flatten()]
    layers += [keras.layers.Dense(width, activation="relu") for width in spec["hidden"]]
    layers.append(keras.layers.Dense(spec["num_classes"]))
    model = keras.Sequential(layers)
    model.compile(
        optimizer=keras.optimizers.Adam(spec["lr"]),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )

    class Timer(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.epoch_s: list[float] = []
            self.samples_per_s: list[float] = []

        def on_epoch_begin(self, epoch: int, logs: object = None) -> None:
            self.started = time.perf_counter()

        def on_train_batch_begin(self, batch: int, logs: object = None) -> None:
            if batch == spec["warmup_steps"]:
                self.timed_from, self.timed_batch = time.perf_counter(), batch

        def on_test_begin(self, logs: object = None) -> None:  # training ended: the rate
            steps = self.params["steps"] - self.timed_batch
            rate = steps * spec["batch_size"] / (time.perf_counter() - self.timed_from)
            self.samples_per_s.append(rate)

        def on_epoch_end(self, epoch: int, logs: object = None) -> None:
            self.epoch_s.append(time.perf_counter() - self.started)

    timer = Timer()
    history = model.fit(
        x_train, y_train, batch_size=spec["batch_size"], epochs=spec["epochs"],
        validation_data=(x_val, y_val), callbacks=[timer], verbose=0, shuffle=True,
    )  # fmt: skip
    result = {
        "epoch_s": timer.epoch_s,
        "train_samples_per_s": timer.samples_per_s,
        "val_acc": history.history["val_accuracy"],
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
    }
    Path(result_path).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:3])
