"""Timeouts: the package takes seconds (as Python's own APIs do), lavaflow's C calls take
milliseconds."""


def timeout_ms(timeout):
    """`timeout` seconds as the C calls' milliseconds: None waits forever (-1), <= 0 does not
    wait, anything positive waits at least 1 ms (rounded up: 0.0001 s must not become "never
    wait"), at most 2**31 - 1."""
    if timeout is None:
        return -1
    if timeout <= 0:
        return 0
    return max(1, min(int(timeout * 1000 + 0.999), 2**31 - 1))
