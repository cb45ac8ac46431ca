"""Your own network (and task, callback) from your own module: built, recorded, rebuilt."""

from tests.conftest import ROOT, SHRINK

EXAMPLES = {"PYTHONPATH": str(ROOT / "examples")}  # where examples/my_package lives
NET = "model._target_=my_package.nets.TinyCNN"


def test_a_net_of_your_own_trains_and_its_run_is_rebuilt_by_eval(run_cli, tmp_path, trust_file):
    first = run_cli("data=digits", "model=custom", NET, "+model.width=8", *SHRINK, env=EXAMPLES)
    assert first.returncode == 0, first.stderr
    assert trust_file.read_text().splitlines() == ["my_package.nets.TinyCNN"]  # recorded
    (run,) = (tmp_path / "logs" / "train" / "runs").iterdir()
    again = run_cli(f"run_dir={run}", script="eval", env=EXAMPLES)
    assert again.returncode == 0, again.stderr
    assert "Test - loss " in again.stdout


def test_model_custom_needs_a_target_and_an_importable_one(run_cli):
    empty = run_cli("data=digits", "model=custom")
    assert empty.returncode == 1 and "Traceback" not in empty.stdout + empty.stderr
    assert "model._target_ has no value (???) but the run needs one" in empty.stdout
    missing = run_cli("data=digits", "model=custom", "model._target_=my_package.nets.Nope",
                      env=EXAMPLES)  # fmt: skip
    assert missing.returncode == 1 and "Traceback" not in missing.stdout + missing.stderr
    assert "_target_ my_package.nets.Nope cannot be imported" in missing.stdout
