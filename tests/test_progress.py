"""The progress bar is drawn every refresh_rate batches and always at the last batch."""

from litlab.callbacks.progress import ProgressBar


def test_bar_is_drawn_every_refresh_rate_batches_and_at_the_end():
    bar = ProgressBar(refresh_rate=20)
    drawn = [i for i in range(45) if bar._due(i, total=45)]
    assert drawn == [19, 39, 44]
