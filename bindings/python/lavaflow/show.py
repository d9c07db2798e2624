"""python3 -m lavaflow.show STREAM: the newest frame of a tensor-pool stream, on the terminal or
as an image.

Attaches to the stream as a LATEST consumer (a driver must be running: an application's
embedded one or `lavaflow driver`; this tool never starts one), waits up to --timeout for the
newest frame published after it attached (a live stream's), copies it and prints what it is — the stream's name and units, sequence, dtype, shape, element order,
minimum, maximum, mean — and, for a 1-D or 2-D frame, a coarse map of its values in characters.
With --output FILE.png it also draws the frame with matplotlib (Debian's python3-matplotlib),
when that is installed. numpy is needed (python3-numpy).

    python3 -m lavaflow.show 1
    python3 -m lavaflow.show 1 --base-dir /dev/shm --timeout 5 --output frame.png
"""
import argparse
import sys

SHADES = " .:-=+*#%@"


def character_map(array, rows=24, columns=64):
    """Lines of characters, darker for larger values: `array` (1-D or 2-D) sampled down to at
    most rows x columns cells (each the mean of its block)."""
    import numpy as np
    grid = np.atleast_2d(np.asarray(array, dtype=np.float64))
    row_edges = np.linspace(0, grid.shape[0], min(rows, grid.shape[0]) + 1).astype(int)
    column_edges = np.linspace(0, grid.shape[1], min(columns, grid.shape[1]) + 1).astype(int)
    cells = np.array([[grid[r0:r1, c0:c1].mean() for c0, c1 in zip(column_edges, column_edges[1:])]
                      for r0, r1 in zip(row_edges, row_edges[1:])])
    finite = cells[np.isfinite(cells)]
    low, high = (finite.min(), finite.max()) if finite.size else (0.0, 0.0)
    span = high - low if high > low else 1.0
    lines = []
    for row in cells:
        lines.append("".join("?" if not np.isfinite(v) else SHADES[int((v - low) / span * (len(SHADES) - 1) + 0.5)]
                             for v in row))
    return lines


def describe(frame_array, seq, column_major, metadata):
    """The summary lines of one frame."""
    import numpy as np
    values = np.asarray(frame_array)
    name = metadata["name"] or "(no name)"
    units = " [%s]" % metadata["units"] if metadata["units"] else ""
    lines = ["stream '%s'%s: frame %d, %s %s, %s" % (name, units, seq, values.dtype, "x".join(map(str, values.shape)),
                                                       "column-major" if column_major else "row-major")]
    if values.size and values.dtype.kind in "biuf":
        lines.append("min %g, max %g, mean %g" % (values.min(), values.max(), values.astype(np.float64).mean()))
    if values.ndim in (1, 2) and values.size and values.dtype.kind in "biuf":
        lines += character_map(values)
    return lines


def draw(array, path, title):
    """The frame as an image (2-D) or a line (1-D) in `path`; False without matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    figure, axes = plt.subplots()
    if array.ndim == 1:
        axes.plot(array)
    else:
        image = axes.imshow(array.reshape(array.shape[0], -1), aspect="auto")
        figure.colorbar(image)
    axes.set_title(title)
    figure.savefig(path)
    plt.close(figure)
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m lavaflow.show", description=__doc__.split("\n\n")[0])
    parser.add_argument("stream", type=int, help="the stream id")
    parser.add_argument("--base-dir", help="where the driver's files are (default: LAVAFLOW_BASE_DIR or /dev/shm)")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for a frame (default 5)")
    parser.add_argument("--output", help="also draw the frame into this image file (needs matplotlib)")
    args = parser.parse_args(argv)
    try:
        import numpy  # noqa: F401
    except ImportError:
        print("lavaflow.show: numpy is needed (apt install python3-numpy)", file=sys.stderr)
        return 2
    import lavaflow as lf
    try:
        with lf.Context(base_dir=args.base_dir, name="lavaflow.show") as ctx, \
                lf.PoolConsumer(ctx, args.stream, mode="latest", start_driver=False) as consumer:
            while True:
                try:
                    with consumer.wait(args.timeout) as frame:
                        if frame is None:
                            print("lavaflow.show: no frame on stream %d within %g s" % (args.stream, args.timeout),
                                  file=sys.stderr)
                            return 1
                        array = frame.array.copy()
                        seq, column_major = frame.seq, frame.column_major
                        frame.array = None  # (the copy holds nothing of the shared memory)
                    break
                except lf.FrameOverwritten:
                    continue  # (rewritten while copied: take the next)
            metadata = consumer.metadata()
    except lf.LavaflowError as error:
        print("lavaflow.show: stream %d: %s" % (args.stream, error), file=sys.stderr)
        return 1
    lines = describe(array, seq, column_major, metadata)
    print("\n".join(lines))
    if args.output:
        if not draw(array, args.output, lines[0]):
            print("lavaflow.show: matplotlib is not installed (apt install python3-matplotlib): no %s" % args.output,
                  file=sys.stderr)
            return 2
        print("drawn into %s" % args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
