#!/usr/bin/env python3
"""bench_python: the Python package's channel calls against the same C functions called through
ctypes directly (lavaflow.lib, nothing between), in the same run, on the same channel: 64-byte
messages sent and received in turn by one thread, as copies (send/recv) and zero-copy
(reserve/commit, peek/release as `with` blocks). Each case runs raw and package alternately
(ABBA, REPS times) and reports the medians and the median of the paired ratios; the last row
pairs the raw calls with themselves (the noise floor). What ctypes itself costs against C is in
bench_fortran's and bench_cpp's C rows (tens of ns a message) next to these (microseconds).

    LAVAFLOW_LIB_DIR=build/release/src PYTHONPATH=bindings/python /usr/bin/python3 bench/bench_python.py [REPS [MESSAGES]]
"""
import ctypes as C
import os
import statistics
import sys
import time

import lavaflow as lf
from lavaflow import _c, lib

MESSAGE = bytes(range(64))


def raw_copy(producer, consumer, count):
    """send + recv through the C functions: the message into the ring, then out into a buffer."""
    out, got = (C.c_char * 64)(), C.c_size_t()
    send, recv = lib.lf_channel_send, lib.lf_channel_recv
    p, c, by_got = producer.handle, consumer.handle, C.byref(got)
    source = (C.c_char * 64).from_buffer_copy(MESSAGE)
    for _ in range(count):
        if send(p, source, 64, 0) != 0 or recv(c, out, 64, by_got, 0) != 0:
            raise RuntimeError("raw send/recv failed")
    return bytes(out)


def package_copy(producer, consumer, count):
    for _ in range(count):
        producer.send(MESSAGE, timeout=0)
        message = consumer.recv(timeout=0)
    return message


def raw_zero_copy(producer, consumer, count):
    data, size = C.c_void_p(), C.c_size_t()
    reserve, commit, peek, release = (lib.lf_channel_reserve, lib.lf_channel_commit, lib.lf_channel_peek,
                                      lib.lf_channel_release)
    p, c, by_data, by_size = producer.handle, consumer.handle, C.byref(data), C.byref(size)
    first = 0
    for _ in range(count):
        if reserve(p, 64, 0, by_data) != 0:
            raise RuntimeError("raw reserve failed")
        C.memmove(data.value, MESSAGE, 64)
        commit(p, 64)
        if peek(c, 0, by_data, by_size) != 0:
            raise RuntimeError("raw peek failed")
        first = C.c_ubyte.from_address(data.value + 1).value
        release(c)
    return first


def package_zero_copy(producer, consumer, count):
    first = 0
    for _ in range(count):
        with producer.reserve(64, timeout=0) as view:
            view[:] = MESSAGE
        with consumer.peek(timeout=0) as view:
            first = view[1]
    return first


def per_message_ns(work, producer, consumer, count):
    start = time.perf_counter_ns()
    work(producer, consumer, count)
    return (time.perf_counter_ns() - start) / count


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 21
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
    cases = [("send + recv", raw_copy, package_copy),
             ("reserve/commit + peek/release", raw_zero_copy, package_zero_copy),
             ("control, raw again: send + recv", raw_copy, raw_copy)]
    print("bench_python: the lavaflow package against the same C functions through ctypes, 64-byte messages, "
          "one thread, %d paired runs (ABBA)\n" % reps)
    print("%-34s %12s %14s %10s" % ("case", "ctypes ns", "package ns", "ratio"))
    with lf.Context(ignore_environment=True) as ctx:
        name = "bench-python-%d" % os.getpid()
        consumer = lf.Consumer.create(ctx, name, capacity=65536)
        producer = lf.Producer.open(ctx, name)
        for label, raw, package in cases:
            if raw(producer, consumer, 100) != package(producer, consumer, 100):  # (warm, and the same result)
                sys.exit("bench_python: %s: the two layers read different bytes" % label)
            raws, packages, ratios = [], [], []
            for rep in range(reps):
                order = [(raw, raws), (package, packages)]
                if rep % 2:
                    order.reverse()
                for work, into in order:
                    into.append(per_message_ns(work, producer, consumer, count))
                ratios.append(packages[-1] / raws[-1])
            print("%-34s %12.0f %14.0f %10.3f" % (label, statistics.median(raws), statistics.median(packages),
                                                  statistics.median(ratios)))
        producer.close()
        consumer.close()
    assert _c.LF_OK == 0


if __name__ == "__main__":
    main()
