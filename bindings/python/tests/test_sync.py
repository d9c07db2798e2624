"""Semaphores through the Python package: values that only grow, waits with timeouts, threads
(the GIL is released while a wait blocks), another Python process over a socket, its death
seen as PeerDeadError, and the Vulkan kind's refusal or fallback."""
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import lavaflow as lf

# A second process: receives the semaphore on the socket fd argv[1], then plays ping-pong or
# holds it.
PEER = textwrap.dedent("""
    import sys, time, lavaflow as lf
    with lf.Context(ignore_environment=True) as ctx:
        s = lf.Semaphore.recv(ctx, int(sys.argv[1]), timeout=20)
        if sys.argv[2] == "echo":
            for k in range(1, int(sys.argv[3]) + 1):
                assert s.wait(2 * k - 1, timeout=20)
                s.signal(2 * k)
        else:
            print("holding", flush=True)
            time.sleep(60)
""")


@pytest.fixture(name="ctx")
def fixture_ctx():
    with lf.Context(ignore_environment=True) as ctx:
        yield ctx


def start_peer(semaphore, *args):
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    peer = subprocess.Popen([sys.executable, "-c", PEER, str(theirs.fileno()), *args], pass_fds=(theirs.fileno(),),
                            env=env, stdout=subprocess.PIPE)
    theirs.close()
    semaphore.send(ours)
    ours.close()
    return peer


def test_values_only_grow_and_waits_time_out(ctx):
    with lf.Semaphore(ctx, initial_value=5) as s:
        assert s.value == 5 and s.kind == "shared" and "shared semaphore" in s.reason
        assert s.wait(5, timeout=0)
        started = time.monotonic()
        assert not s.wait(6, timeout=0.02)
        assert time.monotonic() - started >= 0.02
        s.signal(6)
        assert s.wait(6)
        with pytest.raises(lf.LavaflowError) as lower:
            s.signal(6)
        assert lower.value.name == "LF_ERR_INVALID_ARGUMENT" and "values only grow" in lower.value.message
        assert s.info().holders == 1


def test_threads_ping_pong_while_one_waits(ctx):
    with lf.Semaphore(ctx, wait_mode="sleep") as s:
        rounds = 300

        def pong():
            for k in range(1, rounds + 1):
                assert s.wait(2 * k - 1, timeout=20)
                s.signal(2 * k)

        thread = threading.Thread(target=pong)
        thread.start()
        for k in range(1, rounds + 1):
            s.signal(2 * k - 1)
            assert s.wait(2 * k, timeout=20)
        thread.join()
        assert s.value == 2 * rounds


def test_another_process_by_socket_fd_and_name(ctx):
    with lf.Semaphore(ctx) as s:
        peer = start_peer(s, "echo", "200")
        for k in range(1, 201):
            s.signal(2 * k - 1)
            assert s.wait(2 * k, timeout=20)
        assert peer.wait(timeout=30) == 0
        fd = s.export_fd()
        with lf.Semaphore.import_fd(ctx, fd, wait_only=True) as waiter:
            os.close(fd)
            assert waiter.value == 400 and waiter.info().holders == 2
            with pytest.raises(lf.LavaflowError) as refused:
                waiter.signal(401)
            assert refused.value.name == "LF_ERR_INVALID_STATE"
    name = "lf-python-semaphore-%d" % os.getpid()
    with lf.Semaphore(ctx, name=name, initial_value=3) as named, lf.Semaphore.open(ctx, name) as opened:
        named.signal(4)
        assert opened.wait(4, timeout=0)


def test_a_killed_holder_wakes_the_waiter(ctx):
    with lf.Semaphore(ctx) as s:
        peer = start_peer(s, "hold")
        assert peer.stdout.readline().strip() == b"holding"
        threading.Timer(0.05, lambda: os.kill(peer.pid, signal.SIGKILL)).start()
        started = time.monotonic()
        with pytest.raises(lf.PeerDeadError):
            s.wait(1, timeout=30)
        assert time.monotonic() - started < 10
        peer.wait()
        assert s.info().dead_holders == 1


def test_vulkan_kind_refused_or_fallen_back(ctx):
    try:
        with lf.Semaphore(ctx, kind="vulkan") as s:  # a driver that exports timeline semaphores
            s.signal(1)
            assert s.wait(1, timeout=0) and s.vulkan_info().semaphore != 0
    except lf.LavaflowError as refused:
        assert refused.name == "LF_ERR_UNSUPPORTED"
        with lf.Semaphore(ctx, kind="vulkan", fallback=True) as s:
            assert s.kind == "shared" and "Vulkan requested" in s.reason
