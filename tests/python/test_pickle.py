#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Pickling Python-defined JobSerializable objects through the Job-1.0 GIR."""

import sys
import unittest

import gi

gi.require_version("GLib", "2.0")
gi.require_version("GObject", "2.0")
gi.require_version("Job", "1.0")
from gi.repository import GLib, GObject, Job  # noqa: E402


class Part(GObject.Object, Job.Serializable):
    __gtype_name__ = "PyTestPart"

    name = GObject.Property(type=str)
    count = GObject.Property(type=GObject.TYPE_INT64, default=0)
    small = GObject.Property(type=int, default=0)
    ratio = GObject.Property(type=float, default=0.0)
    enabled = GObject.Property(type=bool, default=False)
    left = GObject.Property(type=GObject.Object)
    right = GObject.Property(type=GObject.Object)
    # Clear: a per-process cache that the copy recomputes.
    cache = GObject.Property(type=str, default="empty")
    # Custom: "x,y" text encoded as a (ii) tuple.
    point = GObject.Property(type=str, default="0,0")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.restored_calls = 0

    def do_restored(self):
        self.restored_calls += 1
        # Derived state may look at other objects: the graph is complete.
        self.cache = "restored:%s" % (self.left.name if self.left else "-")


custom_calls = []


def serialize_point(obj, pspec):
    custom_calls.append(("serialize", pspec.name))
    x, y = (int(v) for v in obj.point.split(","))
    return GLib.Variant("(ii)", (x, y))


def deserialize_point(obj, pspec, value):
    custom_calls.append(("deserialize", pspec.name))
    if value.get_type_string() != "(ii)":
        return False
    obj.point = "%d,%d" % value.unpack()
    return True


Job.serializable_declare_clear(Part, "cache")
Job.serializable_declare_custom(Part, "point", serialize_point, deserialize_point)
Job.type_set_origin(Part, "python:test_pickle")


class Shouty(GObject.Object, Job.Serializable):
    """Overrides the property virtual methods for one property and chains up
    for the others."""

    __gtype_name__ = "PyTestShouty"

    word = GObject.Property(type=str)
    number = GObject.Property(type=int, default=0)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = []

    def do_serialize_property(self, pspec):
        if pspec.name == "word":
            return GLib.Variant("s", self.word.upper())
        # PyGObject 3.42 cannot pass a GParamSpec back to C: chain up by name.
        return Job.Serializable.default_serialize_property_by_name(self, pspec.name)

    def do_deserialize_property(self, pspec, value):
        self.seen.append(pspec.name)
        if pspec.name == "word":
            self.word = value.get_string().lower() + "!"
            return True
        return Job.Serializable.default_deserialize_property_by_name(self, pspec.name, value)


class Holder(GObject.Object, Job.Serializable):
    __gtype_name__ = "PyTestHolder"

    name = GObject.Property(type=str)
    child = GObject.Property(type=GObject.Object)


def round_trip(obj):
    data = Job.pickle_dumps(obj)
    assert isinstance(data, GLib.Bytes)
    return Job.pickle_loads(data)


class TestPickle(unittest.TestCase):
    def test_scalars_round_trip(self):
        part = Part(name="päckchen", count=2**40 + 3, small=-7, ratio=0.125, enabled=True)
        copy = round_trip(part)
        self.assertIsInstance(copy, Part)
        self.assertIsNot(copy, part)
        self.assertEqual(copy.name, "päckchen")
        self.assertEqual(copy.count, 2**40 + 3)
        self.assertEqual(copy.small, -7)
        self.assertEqual(copy.ratio, 0.125)
        self.assertTrue(copy.enabled)

    def test_shared_refs_and_cycle(self):
        shared = Part(name="shared")
        a = Part(name="a", left=shared)
        b = Part(name="b", left=shared, right=a)
        root = Part(name="root", left=a, right=b)
        a.right = root  # cycle root -> a -> root
        copy = round_trip(root)
        self.assertEqual(copy.left.name, "a")
        self.assertEqual(copy.right.name, "b")
        self.assertIs(copy.left.left, copy.right.left)  # still shared
        self.assertEqual(copy.left.left.name, "shared")
        self.assertIs(copy.left.right, copy)  # cycle kept
        self.assertIs(copy.right.right, copy.left)
        # Break the cycles so the objects can be freed.
        a.right = None
        copy.left.right = None

    def test_self_reference(self):
        part = Part(name="me")
        part.left = part
        copy = round_trip(part)
        self.assertIs(copy.left, copy)
        part.left = None
        copy.left = None

    def test_clear_and_custom(self):
        part = Part(name="p", cache="parent only", point="3,-4")
        del custom_calls[:]
        data = Job.pickle_dumps(part)
        self.assertIn(("serialize", "point"), custom_calls)
        copy = Job.pickle_loads(data)
        self.assertIn(("deserialize", "point"), custom_calls)
        self.assertEqual(copy.point, "3,-4")
        # Clear: not pickled; the copy has the default, then restored() ran.
        self.assertEqual(copy.cache, "restored:-")

    def test_restored_once_per_object(self):
        leaf = Part(name="leaf")
        root = Part(name="root", left=leaf, right=leaf)
        copy = round_trip(root)
        self.assertEqual(copy.restored_calls, 1)
        self.assertEqual(copy.left.restored_calls, 1)
        self.assertEqual(copy.cache, "restored:leaf")
        self.assertEqual(copy.left.cache, "restored:-")
        self.assertEqual(root.restored_calls, 0)

    def test_deterministic(self):
        shared = Part(name="s")
        root = Part(name="r", left=shared, right=shared, point="1,2")
        one = Job.pickle_dumps(root).get_data()
        two = Job.pickle_dumps(root).get_data()
        self.assertEqual(one, two)

    def test_origin_recorded(self):
        frames = Job.PickleFrames.new_from_bytes(Job.pickle_dumps(Part(name="o")))
        self.assertIn("python:test_pickle", frames.get_origins())

    def test_check(self):
        root = Part(name="fine", left=Part(name="child"))
        self.assertTrue(Job.pickle_check(root))

    def test_vfunc_overrides_chain_up(self):
        obj = Shouty(word="Hello", number=42)
        data = Job.pickle_dumps(obj)
        # The override's encoding is what travels.
        self.assertIn(b"HELLO", data.get_data())
        copy = Job.pickle_loads(data)
        self.assertEqual(copy.word, "hello!")
        self.assertEqual(copy.number, 42)  # through the chained-up default
        self.assertEqual(sorted(copy.seen), ["number", "word"])

    def test_chain_error_names_python_types(self):
        root = Holder(name="root", child=Holder(name="middle", child=GObject.Object()))
        for function in (Job.pickle_check, Job.pickle_dumps):
            with self.assertRaises(GLib.Error) as raised:
                function(root)
            error = raised.exception
            self.assertTrue(error.matches(Job.pickle_error_quark(),
                                          Job.PickleError.UNSERIALIZABLE))
            message = error.message
            # The chain from the root, with names and properties, at depth 2.
            self.assertIn("PyTestHolder “root”", message)
            self.assertIn(".child → PyTestHolder “middle”", message)
            self.assertIn(".child → GObject", message)
            self.assertIn("does not implement JobSerializable", message)
            self.assertIn("PyTestHolder “middle” through .child", message)
            # The fix.
            self.assertIn("declare PyTestHolder:child clear", message)
            self.assertIn("implement JobSerializable", message)

    def test_corrupt_input_is_an_error(self):
        data = Job.pickle_dumps(Part(name="x")).get_data()
        with self.assertRaises(GLib.Error) as raised:
            Job.pickle_loads(GLib.Bytes.new(data[:20]))
        self.assertTrue(raised.exception.matches(Job.pickle_error_quark(),
                                                 Job.PickleError.INVALID))


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(0 if result.wasSuccessful() and result.testsRun > 0 else 1)
