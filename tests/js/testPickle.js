// SPDX-License-Identifier: LGPL-2.1-or-later
// Pickling gjs-defined JobSerializable objects through the Job-1.0 GIR.
// Run as `gjs -m testPickle.js`; any failure throws, so gjs exits non-zero.

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Job from 'gi://Job?version=1.0';

const RW = GObject.ParamFlags.READWRITE;

function assert(condition, what) {
    if (!condition)
        throw new Error(`assertion failed: ${what}`);
}

function assertEqual(actual, expected, what) {
    if (actual !== expected)
        throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

function assertIncludes(text, part) {
    if (!text.includes(part))
        throw new Error(`expected the text to contain ${JSON.stringify(part)}:\n${text}`);
}

const Part = GObject.registerClass({
    GTypeName: 'JsTestPart',
    Implements: [Job.Serializable],
    Properties: {
        'name': GObject.ParamSpec.string('name', '', '', RW, ''),
        'count': GObject.ParamSpec.int64('count', '', '', RW,
            Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 0),
        'small': GObject.ParamSpec.int('small', '', '', RW, -1000, 1000, 0),
        'ratio': GObject.ParamSpec.double('ratio', '', '', RW, -1e9, 1e9, 0),
        'enabled': GObject.ParamSpec.boolean('enabled', '', '', RW, false),
        'left': GObject.ParamSpec.object('left', '', '', RW, GObject.Object),
        'right': GObject.ParamSpec.object('right', '', '', RW, GObject.Object),
        'cache': GObject.ParamSpec.string('cache', '', '', RW, 'empty'),
        'point': GObject.ParamSpec.string('point', '', '', RW, '0,0'),
    },
}, class Part extends GObject.Object {
    _init(params) {
        super._init(params);
        this.restoredCalls = 0;
    }

    vfunc_restored() {
        this.restoredCalls++;
    }
});

// gjs rejects unknown GParamFlags bits, so clear and custom are declared by call.
Job.serializable_declare_clear(Part.$gtype, 'cache');
Job.serializable_declare_custom(Part.$gtype, 'point',
    obj => new GLib.Variant('(ii)', obj.point.split(',').map(Number)),
    (obj, pspec, value) => {
        obj.point = value.deepUnpack().join(',');
        return true;
    });
Job.type_set_origin(Part.$gtype, 'gjs:testPickle');

const Shouty = GObject.registerClass({
    GTypeName: 'JsTestShouty',
    Implements: [Job.Serializable],
    Properties: {
        'word': GObject.ParamSpec.string('word', '', '', RW, ''),
        'number': GObject.ParamSpec.int('number', '', '', RW, 0, 100, 0),
    },
}, class Shouty extends GObject.Object {
    vfunc_serialize_property(pspec) {
        if (pspec.name === 'word')
            return new GLib.Variant('s', this.word.toUpperCase());
        return this.default_serialize_property(pspec);
    }

    vfunc_deserialize_property(pspec, value) {
        if (pspec.name === 'word') {
            this.word = `${value.get_string()[0].toLowerCase()}!`;
            return true;
        }
        return this.default_deserialize_property(pspec, value);
    }
});

const Holder = GObject.registerClass({
    GTypeName: 'JsTestHolder',
    Implements: [Job.Serializable],
    Properties: {
        'name': GObject.ParamSpec.string('name', '', '', RW, ''),
        'child': GObject.ParamSpec.object('child', '', '', RW, GObject.Object),
    },
}, class Holder extends GObject.Object {});

function roundTrip(obj) {
    const bytes = Job.pickle_dumps(obj);
    assert(bytes instanceof GLib.Bytes, 'pickle_dumps returns GLib.Bytes');
    return Job.pickle_loads(bytes);
}

const tests = {
    scalars() {
        const copy = roundTrip(new Part({
            name: 'päckchen', count: 2 ** 40 + 3, small: -7, ratio: 0.125, enabled: true,
        }));
        assert(copy instanceof Part, 'the copy is a Part');
        assertEqual(copy.name, 'päckchen', 'name');
        assertEqual(copy.count, 2 ** 40 + 3, 'count');
        assertEqual(copy.small, -7, 'small');
        assertEqual(copy.ratio, 0.125, 'ratio');
        assertEqual(copy.enabled, true, 'enabled');
    },

    sharedAndCycles() {
        const shared = new Part({name: 'shared'});
        const a = new Part({name: 'a', left: shared});
        const b = new Part({name: 'b', left: shared, right: a});
        const root = new Part({name: 'root', left: a, right: b});
        a.right = root;
        const copy = roundTrip(root);
        assertEqual(copy.left.name, 'a', 'left');
        assertEqual(copy.right.name, 'b', 'right');
        assert(copy.left.left === copy.right.left, 'shared reference stays shared');
        assert(copy.left.right === copy, 'cycle kept');
        assert(copy.right.right === copy.left, 'reference to a kept');
        a.right = null;
        copy.left.right = null;
    },

    clearAndCustom() {
        const copy = roundTrip(new Part({name: 'p', cache: 'parent only', point: '3,-4'}));
        assertEqual(copy.cache, 'empty', 'clear property has its default');
        assertEqual(copy.point, '3,-4', 'custom property restored');
        assertEqual(copy.restoredCalls, 1, 'restored called once');
    },

    deterministic() {
        const shared = new Part({name: 's'});
        const root = new Part({name: 'r', left: shared, right: shared});
        const one = Job.pickle_dumps(root).toArray();
        const two = Job.pickle_dumps(root).toArray();
        assertEqual(one.length, two.length, 'length');
        assert(one.every((byte, i) => byte === two[i]), 'identical bytes');
    },

    origins() {
        const frames = Job.PickleFrames.new_from_bytes(Job.pickle_dumps(new Part({name: 'o'})));
        assert(frames.get_origins().includes('gjs:testPickle'), 'origin recorded');
    },

    vfuncOverrides() {
        const bytes = Job.pickle_dumps(new Shouty({word: 'Hello', number: 42}));
        const copy = Job.pickle_loads(bytes);
        assertEqual(copy.word, 'hello!', 'overridden property');
        assertEqual(copy.number, 42, 'chained-up property');
    },

    check() {
        assertEqual(Job.pickle_check(new Part({name: 'ok', left: new Part()})), true, 'check');
    },

    chainError() {
        const root = new Holder({
            name: 'root',
            child: new Holder({name: 'middle', child: new GObject.Object()}),
        });
        for (const fn of [Job.pickle_check, Job.pickle_dumps]) {
            let error = null;
            try {
                fn(root);
            } catch (e) {
                error = e;
            }
            assert(error !== null, 'pickling an unserializable graph throws');
            assert(error.matches(Job.PickleError, Job.PickleError.UNSERIALIZABLE),
                `UNSERIALIZABLE error, got ${error}`);
            assertIncludes(error.message, 'JsTestHolder “root”');
            assertIncludes(error.message, '.child → JsTestHolder “middle”');
            assertIncludes(error.message, '.child → GObject');
            assertIncludes(error.message, 'JsTestHolder “middle” through .child');
            assertIncludes(error.message, 'declare JsTestHolder:child clear');
            assertIncludes(error.message, 'implement JobSerializable');
        }
    },

    corruptInput() {
        const data = Job.pickle_dumps(new Part({name: 'x'})).toArray();
        let error = null;
        try {
            Job.pickle_loads(new GLib.Bytes(data.slice(0, 20)));
        } catch (e) {
            error = e;
        }
        assert(error !== null && error.matches(Job.PickleError, Job.PickleError.INVALID),
            `INVALID error, got ${error}`);
    },
};

let failed = 0;
for (const [name, test] of Object.entries(tests)) {
    try {
        test();
        print(`ok - ${name}`);
    } catch (e) {
        failed++;
        printerr(`not ok - ${name}: ${e}\n${e.stack}`);
    }
}
if (failed > 0)
    throw new Error(`${failed} of ${Object.keys(tests).length} tests failed`);
