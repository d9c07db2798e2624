"""Buffers through the Python package: kinds and placement, memoryviews and numpy arrays over
them that die with the buffer, and shared memory mapped again through an exported fd."""
import os

import numpy as np
import pytest

import lavaflow as lf


@pytest.fixture(name="ctx")
def fixture_ctx():
    with lf.Context(ignore_environment=True) as ctx:
        yield ctx


def test_host_buffers_placed_and_viewed(ctx):
    with lf.Buffer(ctx, 1 << 20, numa_node=0, zeroed=True, alignment=4096) as buffer:
        assert buffer.size == 1 << 20 and buffer.kind == "host"
        assert "node 0" in buffer.reason
        view = buffer.view
        assert len(view) == 1 << 20 and not any(view[:4096])
        values = buffer.array(np.float64, (128, 1024))
        values[:] = 2.5
        assert buffer.array(np.float64)[-1] == 2.5
        with pytest.raises(lf.LavaflowError) as busy:
            buffer.close()  # an array of it is alive
        assert busy.value.name == "LF_ERR_BUSY"
        del values
    with pytest.raises(ValueError):
        view[0]  # pylint: disable=pointless-statement
    with pytest.raises(lf.LavaflowError) as missing:
        lf.Buffer(ctx, 4096, numa_node=4000)
    assert missing.value.name == "LF_ERR_NOT_FOUND"


def test_shared_memory_through_an_fd(ctx):
    with lf.Buffer(ctx, 8192, kind="shared") as shared:
        shared.array(np.uint32)[:] = np.arange(2048, dtype=np.uint32)
        fd = shared.export_fd()
        try:
            with lf.Buffer.import_fd(ctx, fd, size=8192, read_only=True) as mapped:
                assert mapped.array(np.uint32)[2047] == 2047
                assert mapped.view.readonly
                with pytest.raises(lf.LavaflowError):
                    lf.Buffer.import_fd(ctx, fd, size=4096)  # the size is checked
        finally:
            os.close(fd)
    with lf.Buffer(ctx, 64) as host:
        with pytest.raises(lf.LavaflowError):
            host.export_fd()  # private memory cannot leave the process


def test_host_memory_a_device_maps(ctx):
    try:
        buffer = lf.Buffer(ctx, 10000, kind="shared", device_mapped=True)
    except lf.LavaflowError as refused:  # (no Vulkan device that maps host memory here)
        assert refused.name == "LF_ERR_UNSUPPORTED"
        pytest.skip(refused.message)
    with buffer:
        assert buffer.kind == "shared" and buffer.size == 10000
        assert "VK_EXT_external_memory_host" in buffer.reason
        buffer.view[:4] = b"\x01\x02\x03\x04"  # an ordinary host address too
        assert bytes(buffer.view[:4]) == b"\x01\x02\x03\x04"
