#!/usr/bin/env python3
# Runs the job tool: its output on the sample project, and one clear error
# with exit status 1 for every bad input.

import os
import random
import re
import subprocess
import sys
import tempfile

JOB = os.path.join(os.environ["JOB_BUILDDIR"], "libjob", "tools", "job")
SAMPLE = os.path.join(os.environ["JOB_SOURCEDIR"], "tests", "projects", "sample")


def run(*args, cwd=None):
    result = subprocess.run([JOB, *args], cwd=cwd, capture_output=True, timeout=60)
    return result.returncode, result.stdout.decode(), result.stderr.decode()


def test_sample():
    status, out, err = run("-C", SAMPLE, "show", "all.bst")
    assert status == 0, err
    # Real cache keys: 8 hexadecimal digits, one per build. base.bst and
    # tools.bst import the same files, but tools.bst into tools/: where a
    # source is staged is part of the key, so they have one each.
    keys = re.findall(r"^ *[a-z ]+ ([0-9a-f]{8}) ", out, re.M)
    assert len(keys) == 5 and len(set(keys)) == 5, out
    assert re.sub(r" [0-9a-f]{8} ", " KEY ", out) == (
        "   buildable KEY base.bst\n"
        "   buildable KEY tools.bst\n"
        "fetch needed KEY lib.bst\n"
        "     waiting KEY app.bst\n"
        "     waiting KEY all.bst\n"), out

    status, out, err = run("show", "--deps", "plan", "--format", "%{name}", "all.bst", cwd=SAMPLE)
    assert status == 0, err
    assert out.split() == ["base.bst", "tools.bst", "lib.bst", "app.bst", "all.bst"], out

    status, out, err = run("show", "-C", SAMPLE, "--deps", "build", "--format", "%{name}", "app.bst")
    assert out.split() == ["base.bst", "tools.bst", "lib.bst"], out
    status, out, err = run("show", "-C", SAMPLE, "--deps", "run", "--format", "%{name}", "app.bst")
    assert out.split() == ["base.bst", "app.bst"], out

    status, out, err = run("-C", SAMPLE, "--option", "arch", "aarch64", "show",
                           "--deps", "none", "--format", "%{config}", "app.bst")
    assert status == 0, err
    assert out.startswith("build-commands:\n- echo cross-building for %{target-arch}\n- make -C src\n"), out

    status, out, err = run("-C", SAMPLE, "show", "--deps", "none", "--format", "%{vars}", "app.bst")
    assert "build-root: /buildstream/sample/app.bst\n" in out, out
    status, out, err = run("-C", SAMPLE, "show", "--deps", "none", "--format", "%{env}", "app.bst")
    assert "APP_HOME: /usr/lib/app\n" in out and "TZ: UTC\n" in out, out
    status, out, err = run("-C", SAMPLE, "show", "--deps", "none", "--format", "%{public}", "app.bst")
    assert "  - /usr/lib/app/**\n" in out, out


BAD_INPUTS = {
    # name: ({file: contents}, expected start of the error)
    "malformed YAML": ({"a.bst": "kind: manual\nconfig: [a, b\n"},
                       "a.bst [line 3 column 1]: invalid YAML"),
    "wrong type": ({"a.bst": "kind: manual\ndepends:\n  x: y\n"},
                   "a.bst [line 3 column 3]: expected a list, got a mapping"),
    "unknown key": ({"a.bst": "kind: manual\nconfg: {}\n"},
                    "a.bst [line 2 column 1]: unexpected key"),
    "undefined variable": ({"a.bst": "kind: manual\nvariables:\n  x: '%{nope}'\n"},
                           "a.bst [line 3 column 6]: reference to undefined variable"),
    "variable cycle": ({"a.bst": "kind: manual\nvariables:\n  x: '%{y}'\n  y: '%{x}'\n"},
                       "a.bst [line "),
    "dependency cycle": ({"a.bst": "kind: stack\ndepends: [b.bst]\n",
                          "b.bst": "kind: stack\ndepends: [a.bst]\n"},
                         "a.bst [line 2 column 11]: circular dependency"),
    "missing element": ({"a.bst": "kind: stack\ndepends:\n- gone.bst\n"},
                        "a.bst [line 3 column 3]: could not find element"),
    "include cycle": ({"project.conf": "name: bad\n(@): one.yml\n",
                       "one.yml": "(@): two.yml\n", "two.yml": "(@): one.yml\n",
                       "a.bst": "kind: stack\n"},
                      "two.yml [line 1 column 6]: “one.yml” includes itself"),
    "wrong conditional": ({"a.bst": "kind: manual\nvariables:\n  (?):\n  - nosuch == 1:\n      x: y\n"},
                          "a.bst [line 4 column 5]: cannot evaluate the conditional"),
    "not UTF-8": ({"a.bst": b"kind: manual\ndescription: \xff\xfe\n"},
                  "a.bst [line 2 column 14]: invalid YAML"),
    "empty file": ({"a.bst": ""}, "a.bst [line 1 column 1]: the element file is empty"),
    "empty project.conf": ({"project.conf": "", "a.bst": "kind: stack\n"},
                           "project.conf [line 1 column 1]:"),
}


def write_project(directory, files):
    files = dict(files)
    files.setdefault("project.conf", "name: bad\n")
    for name, contents in files.items():
        mode = "wb" if isinstance(contents, bytes) else "w"
        with open(os.path.join(directory, name), mode) as f:
            f.write(contents)


def check_error(status, out, err, expected, what):
    assert status == 1, f"{what}: exit status {status}, stderr {err!r}"
    assert out == "", f"{what}: printed {out!r}"
    lines = [line for line in err.splitlines() if line.startswith("job: error: ")]
    assert len(lines) == 1, f"{what}: {err!r}"
    assert lines[0].startswith("job: error: " + expected), f"{what}: {err!r}"


def test_bad_inputs():
    for what, (files, expected) in BAD_INPUTS.items():
        with tempfile.TemporaryDirectory() as directory:
            write_project(directory, files)
            status, out, err = run("-C", directory, "show", "a.bst")
            check_error(status, out, err, expected, what)


def test_garbage():
    rng = random.Random(4)
    with tempfile.TemporaryDirectory() as directory:
        write_project(directory, {})
        with open(os.path.join(directory, "a.bst"), "wb") as f:
            for _ in range(100):
                f.write(rng.randbytes(1024 * 1024))
        status, out, err = run("-C", directory, "show", "a.bst")
        check_error(status, out, err, "a.bst [line 1 column ", "100 MB of garbage")


def test_usage():
    status, out, err = run("-C", SAMPLE, "show", "--deps", "sideways", "all.bst")
    assert status == 2 and "--deps" in err, err
    status, out, err = run("-C", SAMPLE, "show", "--format", "%{nokey}", "all.bst")
    assert status == 2 and "unknown format key" in err, err
    status, out, err = run("-C", SAMPLE, "--option", "nosuch", "x", "show", "all.bst")
    assert status == 1 and "unknown option “nosuch”" in err, err
    status, out, err = run("--help")
    assert status == 0 and "show" in out
    status, out, err = run("show", "--help")
    assert status == 0 and "%{key}" in out and "%{full-key}" in out


if __name__ == "__main__":
    test_sample()
    test_bad_inputs()
    test_garbage()
    test_usage()
    print("ok")
    sys.exit(0)
