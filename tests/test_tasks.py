"""Each task's loss, metrics and test report on hand-computed cases, through Lightning's loop."""

import math

import pytest
import torch
from sklearn.metrics import classification_report

from litlab.errors import ConfigError
from litlab.tasks.binary import BinaryTask
from litlab.tasks.classification import ClassificationTask
from litlab.tasks.multilabel import MultilabelTask
from litlab.tasks.regression import RegressionTask
from tests.tiny import TinyData, known_run, make_task, quiet_trainer

LN3 = math.log(3.0)


def _test(task, data) -> dict[str, float]:
    (results,) = quiet_trainer().test(task, datamodule=data, verbose=False)
    return results


def _sklearn_rows(report: dict) -> dict:
    """sklearn's output_dict with our key names (f1-score -> f1)."""
    return {
        name: {("f1" if k == "f1-score" else k): v for k, v in row.items()}
        for name, row in report.items()
        if isinstance(row, dict)
    }


def test_classification_loss_metrics_and_report():
    targets = torch.tensor([0, 1, 1, 2, 2, 0])
    predicted = torch.tensor([0, 0, 1, 2, 2, 2])
    # The predicted class gets logit ln 3, the others 0: probabilities 3/5 and 1/5 each.
    logits = torch.nn.functional.one_hot(predicted, 3) * LN3
    task, data = known_run(ClassificationTask, logits, targets, ["a", "b", "c"])
    results = _test(task, data)

    assert set(results) == {"test/loss", "test/acc", "test/f1_macro"}
    assert results["test/loss"] == pytest.approx((4 * math.log(5 / 3) + 2 * math.log(5)) / 6)
    assert results["test/acc"] == pytest.approx(4 / 6)
    # F1 per class: a 1/2, b 2/3, c 4/5.
    assert results["test/f1_macro"] == pytest.approx((1 / 2 + 2 / 3 + 4 / 5) / 3)

    report = task.test_report
    assert report.confusion_matrix == [[1, 0, 1], [1, 1, 0], [0, 0, 2]]
    expected = _sklearn_rows(
        classification_report(targets, predicted, target_names=["a", "b", "c"],
                              output_dict=True, zero_division=0)
    )  # fmt: skip
    for name in ("a", "b", "c", "macro avg", "weighted avg"):
        row = report.rows.get(name) or report.summary[name]
        assert row == pytest.approx(expected[name]), name
    assert report.summary["accuracy"] == {"f1": pytest.approx(4 / 6), "support": 6}


def test_binary_loss_metrics_and_report():
    logits = torch.tensor([[2.0], [-1.0], [0.5], [-3.0]])
    targets = torch.tensor([1.0, 0.0, 0.0, 1.0])  # predictions at 0.5: 1, 0, 1, 0
    task, data = known_run(BinaryTask, logits, targets, ["ship", "iceberg"])
    results = _test(task, data)

    assert set(results) == {"test/loss", "test/acc", "test/f1", "test/auroc"}
    expected_loss = (
        math.log(1 + math.exp(-2)) + math.log(1 + math.exp(-1))
        + math.log(1 + math.exp(0.5)) + math.log(1 + math.exp(3))
    ) / 4  # fmt: skip
    assert results["test/loss"] == pytest.approx(expected_loss)
    assert results["test/acc"] == pytest.approx(0.5)
    assert results["test/f1"] == pytest.approx(0.5)  # tp 1, fp 1, fn 1
    # Positive-negative pairs ranked right: (2 > 0.5), (2 > -1); wrong: -3 below both.
    assert results["test/auroc"] == pytest.approx(0.5)
    assert task.test_report.confusion_matrix == [[1, 1], [1, 1]]
    assert list(task.test_report.rows) == ["ship", "iceberg"]


def test_binary_metrics_read_outputs_as_logits_even_when_they_lie_in_0_1():
    # sigmoid(0.1) > 0.5: every sample is predicted positive. Read as probabilities, these
    # numbers would give predictions 0, 1, 0, 1 and accuracy 0.25.
    logits = torch.tensor([[0.2], [0.9], [0.1], [0.6]])
    task, data = known_run(BinaryTask, logits, torch.tensor([1.0, 1.0, 1.0, 0.0]), ["n", "p"])
    assert _test(task, data)["test/acc"] == pytest.approx(0.75)


MULTILABEL_TARGETS = torch.tensor([[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 1]]).float()
# Logits +-2; sample 2's second label gets logit 0 (probability exactly 0.5).
MULTILABEL_LOGITS = torch.tensor([[2, -2, 2], [-2, 2, 2], [2, 0, -2], [-2, -2, 2]]).float()


def test_multilabel_loss_metrics_and_report():
    task, data = known_run(MultilabelTask, MULTILABEL_LOGITS, MULTILABEL_TARGETS, ["x", "y", "z"])
    results = _test(task, data)

    assert set(results) == {
        "test/loss", "test/acc", "test/f1_macro", "test/f1_micro", "test/exact_match"
    }  # fmt: skip
    # Predictions (p > 0.5): one false positive (sample 1, z), one false negative (sample 2, y).
    entries = [
        math.log(1 + math.exp(-z if t else z))  # -log sigmoid(z) or -log(1 - sigmoid(z))
        for z, t in zip(MULTILABEL_LOGITS.flatten().tolist(),
                        MULTILABEL_TARGETS.flatten().tolist(), strict=True)
    ]  # fmt: skip
    assert results["test/loss"] == pytest.approx(sum(entries) / 12)
    assert results["test/acc"] == pytest.approx(10 / 12)
    assert results["test/exact_match"] == pytest.approx(2 / 4)
    assert results["test/f1_macro"] == pytest.approx((1 + 2 / 3 + 4 / 5) / 3)
    assert results["test/f1_micro"] == pytest.approx(10 / 12)  # tp 5, fp 1, fn 1

    predicted = (MULTILABEL_LOGITS > 0).int()
    expected = _sklearn_rows(
        classification_report(MULTILABEL_TARGETS.int(), predicted, target_names=["x", "y", "z"],
                              output_dict=True, zero_division=0)
    )  # fmt: skip
    report = task.test_report
    for name in ("x", "y", "z", "micro avg", "macro avg", "weighted avg"):
        row = report.rows.get(name) or report.summary[name]
        assert row == pytest.approx(expected[name]), name
    assert report.confusion_matrix is None


def test_multilabel_threshold_is_configurable():
    task, data = known_run(MultilabelTask, MULTILABEL_LOGITS, MULTILABEL_TARGETS, ["x", "y", "z"],
                           threshold=0.4)  # fmt: skip
    # At 0.4 the probability 0.5 of sample 2's second label counts: sample 2 is exact too.
    assert _test(task, data)["test/exact_match"] == pytest.approx(3 / 4)


def test_regression_scales_targets_for_the_loss_and_reports_original_units():
    targets = torch.tensor([[11.0, 1.0], [12.0, 1.0], [10.0, 3.0], [10.0, 5.0]])
    predictions = torch.tensor([[10.0, 1.0], [12.0, 2.0], [8.0, 3.0], [10.0, 4.0]])
    shift, scale = torch.tensor([10.0, 0.0]), torch.tensor([2.0, 1.0])
    task, data = known_run(RegressionTask, (predictions - shift) / scale, targets, ["a", "b"])
    data._target_stats = (shift, scale)
    trainer = quiet_trainer(max_epochs=1)
    trainer.fit(task, datamodule=data)  # fitting sets the target scaler from the data
    assert torch.equal(task.target_scaler.scale, scale)
    (results,) = trainer.test(task, datamodule=data, verbose=False)

    assert set(results) == {"test/loss", "test/mae", "test/rmse"}
    # Errors: a -1, 0, -2, 0 (scaled by 1/2 for the loss); b 0, 1, 0, -1.
    assert results["test/loss"] == pytest.approx((0.25 + 1 + 1 + 1) / 8)
    assert results["test/mae"] == pytest.approx(5 / 8)
    assert results["test/rmse"] == pytest.approx(math.sqrt(7 / 8))
    rows = task.test_report.rows
    assert rows["a"] == pytest.approx({"mae": 0.75, "rmse": math.sqrt(5 / 4), "r2": 1 - 5 / 2.75})
    assert rows["b"] == pytest.approx({"mae": 0.5, "rmse": math.sqrt(2 / 4), "r2": 1 - 2 / 11})
    assert torch.allclose(task.predict_outputs((predictions - shift) / scale), predictions)


def test_l1_adds_keras_penalty_to_the_training_loss_only():
    net = torch.nn.Sequential(torch.nn.Linear(1, 2), torch.nn.BatchNorm1d(2), torch.nn.Linear(2, 1))
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[0.5], [-1.5]]))
        net[2].weight.copy_(torch.tensor([[2.0, -0.25]]))
        for bias_or_norm in (net[0].bias, net[2].bias, net[1].weight, net[1].bias):
            bias_or_norm.fill_(7.0)  # left out of the penalty: Keras' kernel_regularizer
    task = make_task(RegressionTask, net, ["y"], l1=0.1)
    assert task.l1_penalty().item() == pytest.approx(0.5 + 1.5 + 2.0 + 0.25)

    x = torch.linspace(-1, 1, 8).unsqueeze(1)
    data = TinyData(x, 3 * x, batch_size=8)  # one batch, in every stage the same
    trainer = quiet_trainer(max_epochs=1, limit_val_batches=0)
    trainer.fit(task, datamodule=data)  # lr 0: the weights stay as set
    train_loss = trainer.callback_metrics["train/loss"].item()
    task.net.train()  # batch norm as in training: the same outputs as the training step
    mse = torch.nn.functional.mse_loss(task(x), 3 * x).item()
    assert train_loss == pytest.approx(mse + 0.1 * 4.25)
    (results,) = trainer.test(task, datamodule=data, verbose=False)
    task.net.eval()
    assert results["test/loss"] == pytest.approx(
        torch.nn.functional.mse_loss(task(x), 3 * x).item()
    )  # no penalty outside training


def test_l1_must_not_be_negative():
    with pytest.raises(ConfigError, match=r"task\.l1=-0\.1 must be a number >= 0"):
        make_task(RegressionTask, torch.nn.Linear(1, 1), ["y"], l1=-0.1)


@pytest.mark.parametrize(
    ("loss", "expected"),
    [("mse", (0.25 + 1 + 4) / 4), ("mae", (0.5 + 1 + 2) / 4), ("huber", (0.125 + 0.5 + 1.5) / 4)],
)
def test_regression_loss_is_chosen_by_name_on_scaled_targets(loss, expected):
    task = make_task(RegressionTask, torch.nn.Linear(1, 1), ["y"], loss=loss)
    task.target_scaler.set_stats(
        torch.zeros(1), torch.full((1,), 2.0)
    )  # errors of 1, 2, 4 in the targets' units: 0.5, 1, 2
    output, target = torch.zeros(4, 1), torch.tensor([[0.0], [1.0], [2.0], [4.0]])
    assert task.loss(output, target).item() == pytest.approx(expected)


def test_regression_loss_must_be_known():
    with pytest.raises(ConfigError, match=r"task\.loss=hinge is unknown; choose one of mse, mae"):
        make_task(RegressionTask, torch.nn.Linear(1, 1), ["y"], loss="hinge")
