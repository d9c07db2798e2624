"""python3 -m lavaflow.show: the newest frame of a stream described on the terminal (its name,
shape, dtype, order, statistics and a character map), run as a user runs it; and the clear
refusals when there is no driver or no matplotlib."""
import os
import shutil
import subprocess
import sys
import tempfile
import threading

import numpy as np
import pytest

import lavaflow as lf
from lavaflow.show import character_map

PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(lf.__file__)))


def show(*args):
    env = dict(os.environ, PYTHONPATH=PACKAGE_DIR)
    return subprocess.run([sys.executable, "-m", "lavaflow.show", *args], env=env, capture_output=True, text=True,
                          timeout=60)


class Publishing:
    """Publishes `frames` in turn, then the last one again and again, every 10 ms on a thread
    (a live stream: the tool shows the newest frame published after it attached), until closed."""

    def __init__(self, producer, *frames):
        self.producer, self.frames, self.stop = producer, frames, threading.Event()
        self.thread = threading.Thread(target=self.run)
        self.thread.start()

    def run(self):
        for frame in self.frames:
            self.producer.publish(frame)
        while not self.stop.wait(0.01):
            self.producer.publish(self.frames[-1])

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.producer.close()


@pytest.fixture(name="base")
def fixture_base():
    base = tempfile.mkdtemp(prefix="lavaflow-py-show-", dir="/dev/shm")
    yield base
    shutil.rmtree(base, ignore_errors=True)


def test_the_newest_frame_is_described(base):
    with lf.Context(base_dir=base, ignore_environment=True) as ctx, lf.PoolDriver(ctx):
        producer = lf.PoolProducer(ctx, 5, start_driver=False)
        producer.set_metadata("ramp", units="K")
        ramp = np.tile(np.arange(40, dtype=np.float32), (20, 1))  # columns 0..39, every row alike
        with Publishing(producer, np.zeros((4, 4), dtype=np.float32), ramp):
            result = show("5", "--base-dir", base, "--timeout", "5")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("stream 'ramp' [K]: frame ") and lines[0].endswith(", float32 20x40, row-major"), lines
    assert int(lines[0].split()[4].rstrip(",")) >= 2  # (a frame after the first two: the newest)
    assert lines[1] == "min 0, max 39, mean 19.5"
    assert len(lines) == 2 + 20 and all(line == lines[2] for line in lines[2:])  # (20 rows: 20 alike)
    assert lines[2][0] == " " and lines[2][-1] == "@" and len(lines[2]) == 40


def test_a_fortran_ordered_frame_keeps_its_shape(base):
    with lf.Context(base_dir=base, ignore_environment=True) as ctx, lf.PoolDriver(ctx):
        producer = lf.PoolProducer(ctx, 6, start_driver=False)
        with Publishing(producer, np.asfortranarray(np.arange(6, dtype=np.int64).reshape(2, 3))):
            result = show("6", "--base-dir", base)
    assert result.returncode == 0, result.stderr
    assert "int64 2x3, column-major" in result.stdout and "min 0, max 5, mean 2.5" in result.stdout


def test_no_driver_and_no_frame_are_said_plainly(base):
    result = show("7", "--base-dir", base, "--timeout", "0.2")
    assert result.returncode == 1
    assert result.stderr.startswith("lavaflow.show: stream 7: ") and "LF_ERR_NOT_FOUND" in result.stderr, result.stderr
    with lf.Context(base_dir=base, ignore_environment=True) as ctx, lf.PoolDriver(ctx):
        result = show("7", "--base-dir", base, "--timeout", "0.2")
    assert result.returncode == 1 and "no frame on stream 7 within 0.2 s" in result.stderr, result.stderr


def test_drawing_needs_matplotlib(base, tmp_path):
    try:
        import matplotlib  # noqa: F401
        have_matplotlib = True
    except ImportError:
        have_matplotlib = False
    output = tmp_path / "frame.png"
    with lf.Context(base_dir=base, ignore_environment=True) as ctx, lf.PoolDriver(ctx):
        producer = lf.PoolProducer(ctx, 8, start_driver=False)
        with Publishing(producer, np.eye(8, dtype=np.float64)):
            result = show("8", "--base-dir", base, "--output", str(output))
    if have_matplotlib:
        assert result.returncode == 0 and output.stat().st_size > 0, result.stderr
    else:
        assert result.returncode == 2 and "matplotlib is not installed" in result.stderr and not output.exists()


def test_character_map_samples_down_by_block_means():
    lines = character_map(np.arange(100, dtype=np.float64).reshape(10, 10), rows=2, columns=5)
    assert len(lines) == 2 and all(len(line) == 5 for line in lines)
    assert lines[0][0] == " " and lines[1][-1] == "@"
    assert character_map(np.full((3, 3), 7.0)) == ["   "] * 3  # (a flat frame: all one shade)
