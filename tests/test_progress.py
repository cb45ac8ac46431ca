"""The progress bar is drawn every refresh_rate batches and always at the last batch."""

from litlab.callbacks.progress import ProgressBar


def test_bar_is_drawn_every_refresh_rate_batches_and_at_the_end():
    bar = ProgressBar(refresh_rate=20)
    drawn = [i for i in range(45) if bar._due(i, lambda: 45)]
    assert drawn == [19, 39, 44]


def test_a_disabled_bar_never_asks_for_its_totals():
    bar = ProgressBar(refresh_rate=20)
    bar.disable()  # as on DDP ranks other than 0, where the totals are not known

    def unknown() -> float:
        raise AssertionError("asked for the total")

    assert not bar._due(19, unknown)
