#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""CPython's pickle on the payload shapes of bench-pickle.c, for comparison.

Prints one `name: value unit` line per figure, with the names bench-pickle
uses, prefixed "py_". Plain Python classes, the highest pickle protocol, and
medians of repeated runs. Usage: /usr/bin/python3 bench-pickle.py [RUNS]
"""

import pickle
import statistics
import sys
import time

JOB_PROPERTY_NAMES = [
    "name", "kind", "project", "element", "cache-key", "weak-key", "strict-key",
    "build-dir", "install-root", "source-dir", "sandbox", "arch", "os",
    "prefix", "command-configure", "command-build", "command-install",
    "log-file", "artifact-ref", "description",
]


class Job:
    """Payload (a): 20 string attributes."""

    def __init__(self):
        for i, name in enumerate(JOB_PROPERTY_NAMES):
            setattr(self, name.replace("-", "_"), "%s-value-%02d-abcdefghij" % (name, i))


class Node:
    """Payload (b): one node of the graph."""

    def __init__(self, index, name, kind, refs, parent, weight, tag):
        self.index = index
        self.name = name
        self.kind = kind
        self.refs = refs
        self.parent = parent
        self.weight = weight
        self.tag = tag


class Graph:
    def __init__(self, nodes):
        self.nodes = nodes


class Blob:
    """Payload (c): 64 MiB of bytes."""

    def __init__(self, data):
        self.data = data


NODE_KINDS = ["manual", "import", "autotools", "cmake", "meson", "stack"]
NODE_TAGS = ["core", "extra", "test", "doc"]
N_NODES = 10000
BLOB_SIZE = 64 * 1024 * 1024


def make_graph():
    """The same construction as make_graph() in bench-pickle.c."""
    nodes = []
    for i in range(N_NODES):
        refs = []
        if i >= 1:
            refs.append(nodes[i - 1])
        if i >= 2:
            refs.append(nodes[i // 2])
        if i >= 17:
            refs.append(nodes[i - 17])
        parent = nodes[i // 10] if i >= 1 else None
        nodes.append(Node(i, "node-%d" % i, NODE_KINDS[i % len(NODE_KINDS)], refs, parent,
                          (i * 7919) % 1000, NODE_TAGS[i % len(NODE_TAGS)]))
    # Four short cycles: a's parent is a+3, which reaches a through i-1.
    for k in range(4):
        nodes[1000 * k + 500].parent = nodes[1000 * k + 503]
    # One self-reference.
    nodes[42].parent = nodes[42]
    return Graph(nodes)


def make_blob():
    data = bytes((i * 31 + (i >> 12)) & 0xFF for i in range(256 * 1024))
    return Blob(data * (BLOB_SIZE // len(data)))


def measure(function, runs, batch):
    """Median wall-clock and thread CPU seconds per call."""
    function()  # warm up
    wall, cpu = [], []
    for _ in range(runs):
        start, cpu_start = time.perf_counter(), time.thread_time()
        for _ in range(batch):
            function()
        cpu.append((time.thread_time() - cpu_start) / batch)
        wall.append((time.perf_counter() - start) / batch)
    return statistics.median(wall), statistics.median(cpu)


def report(payload, what, timing, micro):
    scale, unit = (1e6, "us") if micro else (1e3, "ms")
    print("py_%s_%s: %.2f %s" % (payload, what, timing[0] * scale, unit))
    print("py_%s_%s_cpu: %.2f %s" % (payload, what, timing[1] * scale, unit))
    sys.stdout.flush()


def bench(name, obj, runs, batch, micro):
    protocol = pickle.HIGHEST_PROTOCOL
    data = pickle.dumps(obj, protocol)
    report(name, "dumps", measure(lambda: pickle.dumps(obj, protocol), runs, batch), micro)
    report(name, "loads", measure(lambda: pickle.loads(data), runs, batch), micro)
    report(name, "round_trip",
           measure(lambda: pickle.loads(pickle.dumps(obj, protocol)), runs, batch), micro)
    print("py_%s_bytes: %d bytes" % (name, len(data)))


def bench_blob_out_of_band(blob, runs):
    """Protocol 5 with the buffer out of band: the closest thing to frames."""
    oob = Blob(pickle.PickleBuffer(blob.data))

    def round_trip():
        buffers = []
        header = pickle.dumps(oob, 5, buffer_callback=buffers.append)
        return pickle.loads(header, buffers=buffers)

    copy = round_trip()
    # Out of band, loads hands back the very buffer object: nothing copied.
    same = copy.data is oob.data
    report("c_blob", "round_trip_oob", measure(round_trip, runs, 1), False)
    print("py_c_blob_oob_same_object: %s bool" % ("true" if same else "false"))


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 21
    print("py_version: %s" % sys.version.split()[0])
    bench("a_job", Job(), 51, 2000, True)
    graph = make_graph()
    bench("b_graph", graph, runs, 1, False)
    blob = make_blob()
    bench("c_blob", blob, 7, 1, False)
    bench_blob_out_of_band(blob, 7)


if __name__ == "__main__":
    main()
