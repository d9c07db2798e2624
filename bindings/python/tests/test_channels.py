"""Context, identity, scope and channels through the Python package, as a user writes them."""
import os
import subprocess
import sys

import pytest

import lavaflow as lf

_counter = [0]


def fresh(name):
    _counter[0] += 1
    return "py-%s-%d-%d" % (name, os.getpid(), _counter[0])


@pytest.fixture(name="ctx")
def fixture_ctx():
    with lf.Context(ignore_environment=True) as ctx:
        yield ctx


def test_copies_and_zero_copy_round_trip(ctx):
    name = fresh("calls")
    with lf.Consumer.create(ctx, name, capacity=1 << 16) as consumer, lf.Producer.open(ctx, name) as producer:
        assert producer.transport == "in_process" and producer.reason
        assert producer.send(b"first")
        assert producer.send(bytearray(b"second"))
        assert producer.send(memoryview(b"xxthirdxx")[2:7])
        with producer.reserve(8) as view:
            view[:] = b"in place"
        assert consumer.recv(0) == b"first"
        assert consumer.recv(0) == b"second"
        assert consumer.recv(0) == b"third"
        with consumer.peek(0) as message:
            assert bytes(message) == b"in place"
            assert message.readonly
        assert consumer.recv(0) is None  # nothing: a value, not an error


def test_a_view_cannot_be_used_after_its_block(ctx):
    name = fresh("release")
    with lf.Consumer.create(ctx, name) as consumer, lf.Producer.open(ctx, name) as producer:
        producer.send(b"abc")
        with consumer.peek(1) as message:
            kept = message
        with pytest.raises(ValueError):
            kept[0]  # pylint: disable=pointless-statement
        with pytest.raises(RuntimeError):
            with producer.reserve(16) as view:
                view[:3] = b"abc"
                raise RuntimeError("the block failed")
        assert consumer.recv(0) is None  # aborted: nothing was sent


def test_end_of_stream_and_refusals(ctx):
    name = fresh("misuse")
    consumer = lf.Consumer.create(ctx, name, capacity=4096, max_message_size=1024)
    producer = lf.Producer.open(ctx, name)
    with pytest.raises(lf.LavaflowError) as too_big:
        producer.send(bytes(2000))
    assert too_big.value.name == "LF_ERR_INVALID_ARGUMENT" and "max_message_size" in too_big.value.message
    producer.send(b"last")
    producer.close_end()
    assert consumer.recv(1) == b"last"
    with pytest.raises(EOFError):
        consumer.recv(1)
    consumer.close()
    producer.close()
    producer.close()  # a second close does nothing
    with pytest.raises(ValueError):
        producer.send(b"closed")
    with pytest.raises(lf.LavaflowError) as missing:
        lf.Producer.open(ctx, fresh("nobody"))
    assert missing.value.name == "LF_ERR_NOT_FOUND"
    with pytest.raises(lf.LavaflowError):
        lf.Consumer.create(ctx, "bad/name")


def test_identity_and_scope(ctx):
    me = lf.Identity(ctx)
    again = lf.Identity(ctx, me.to_bytes())
    scope = lf.Scope(ctx, me, again)
    assert scope.level == "process" and scope.reason.startswith("process")
    broken = bytearray(me.to_bytes())
    broken[len(broken) // 2] ^= 0xFF
    with pytest.raises(lf.LavaflowError) as bad:
        lf.Identity(ctx, bytes(broken))
    assert bad.value.name == "LF_ERR_CORRUPT"


CHILD = """
import sys, lavaflow as lf
with lf.Context(ignore_environment=True) as ctx, lf.Producer.open(ctx, sys.argv[1], connect_timeout=10) as p:
    for i in range(2000):
        p.send(i.to_bytes(4, "little") * (1 + i % 50))
    p.close_end()
"""


def test_a_channel_between_two_python_processes(ctx):
    name = fresh("processes")
    with lf.Consumer.create(ctx, name, capacity=1 << 16) as consumer:
        child = subprocess.Popen([sys.executable, "-c", CHILD, name])
        count = 0
        while True:
            try:
                message = consumer.recv(30)
            except EOFError:
                break
            assert message == count.to_bytes(4, "little") * (1 + count % 50)
            count += 1
        assert child.wait(30) == 0
        assert count == 2000 and consumer.transport == "shared_memory"


def mix(ident, seq):
    """tests/support/channel_message.h's channel_message_mix, in uint32 arithmetic."""
    x = ((ident * 0x9E3779B9) ^ (seq * 0x85EBCA6B)) & 0xFFFFFFFF
    x ^= x >> 15
    x = (x * 0x2C1B3C6D) & 0xFFFFFFFF
    x ^= x >> 12
    return x


def expected_message(ident, seq):
    size = 12 + mix(ident, seq) % (1024 - 11)
    body = bytes((mix(ident, seq) >> (i % 24)) & 0xFF for i in range(12, size))
    return ident.to_bytes(4, "little") + seq.to_bytes(4, "little") + size.to_bytes(4, "little") + body


@pytest.mark.skipif(not os.environ.get("LF_TEST_HELPER"), reason="LF_TEST_HELPER names the C test helper (ctest sets it)")
def test_a_channel_from_a_c_process(ctx):
    name = fresh("from-c")
    with lf.Consumer.create(ctx, name, capacity=1 << 16) as consumer:
        helper = subprocess.Popen([os.environ["LF_TEST_HELPER"], "channel-produce", name, "3000", "5"])
        for seq in range(3000):
            with consumer.peek(30) as message:
                assert message is not None, "nothing after %d messages" % seq
                assert bytes(message) == expected_message(5, seq), "message %d" % seq
        assert helper.wait(30) == 0
        assert consumer.transport == "shared_memory"
