"""`benchmarks.servers.serving` with no port to try is a clear ValueError where it is called,
not a RuntimeError about '0 tries' once its block is entered."""

from __future__ import annotations

import pytest

from benchmarks.servers import pubsub_emulator, serving

WAITS = ["sleep", "600"]


@pytest.mark.parametrize("ports", [[], ()], ids=["list", "tuple"])
def test_an_empty_port_list_is_refused_at_the_call(ports, tmp_path):
    """Regression: `serving(..., ports=[])` said 'every port tried was taken (0 tries)' on
    entering its block, as if ports had been tried and found taken."""
    with pytest.raises(ValueError, match=r"no port to try: `ports` is empty"):
        serving(lambda port: WAITS, ready=b"ready", log_dir=tmp_path, ports=ports)
    with pytest.raises(ValueError, match=r"no port to try: `ports` is empty"):
        pubsub_emulator(tmp_path, ports=ports)
    assert not list(tmp_path.iterdir()), "nothing was started or logged"


def test_an_exhausted_port_iterator_is_refused_and_a_live_one_is_read_lazily(tmp_path):
    """An iterator of ports is read only as far as the tries go: an empty one is refused at the
    call; a non-empty one keeps the ports after the first untouched until the block needs them."""
    with pytest.raises(ValueError, match=r"no port to try"):
        serving(lambda port: WAITS, ready=b"ready", log_dir=tmp_path, ports=iter([]))
    ports = iter([1, 2])
    serving(lambda port: WAITS, ready=b"ready", log_dir=tmp_path, ports=ports)
    assert list(ports) == [2]


@pytest.mark.parametrize("attempts", [0, -1])
def test_no_attempt_is_refused_at_the_call(attempts, tmp_path):
    with pytest.raises(ValueError, match=rf"at least 1 attempt, not attempts={attempts}"):
        serving(lambda port: WAITS, ready=b"ready", log_dir=tmp_path, attempts=attempts)
