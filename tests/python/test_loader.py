#!/usr/bin/env python3
# Loads the sample project through the GIR and walks its elements.

import os
import sys
import tempfile

import gi

gi.require_version("Job", "1.0")
gi.require_version("Gio", "2.0")
from gi.repository import GLib, Job  # noqa: E402

SAMPLE = os.path.join(os.environ["JOB_SOURCEDIR"], "tests", "projects", "sample")


def names(model):
    return [model.get_item(i).get_name() for i in range(model.get_n_items())]


def test_walk_sample():
    project = Job.Project.new(SAMPLE)
    project.set_option("arch", "aarch64")
    project.load(None)
    assert project.get_name() == "sample"
    assert project.props.name == "sample"

    loader = Job.Loader.new(project)
    loader.load(["all.bst"], None)
    assert loader.get_n_elements() == 5

    plan = loader.list_dependencies(["all.bst"], Job.Deps.PLAN)
    order = names(plan)
    assert order == ["base.bst", "tools.bst", "lib.bst", "app.bst", "all.bst"], order
    # A valid build order: every dependency comes before its dependents.
    position = {name: i for i, name in enumerate(order)}
    for i in range(plan.get_n_items()):
        spec = plan.get_item(i)
        for dep in list(spec.get_build_dependencies()) + list(spec.get_runtime_dependencies()):
            assert position[dep] < position[spec.get_name()]

    app = loader.get_element("app.bst")
    assert app.get_kind() == "manual"
    assert app.get_description() == "The application"
    assert list(app.get_build_dependencies()) == ["tools.bst", "lib.bst"]
    assert list(app.get_runtime_dependencies()) == ["base.bst"]
    assert app.get_variable("target-arch") == "aarch64"
    assert app.get_variable("element-name") == "app.bst"

    variables = app.get_variables()
    assert variables.get_node_type() == Job.NodeType.MAPPING
    keys = variables.dup_keys()
    assert "prefix" in keys and "build-root" in keys
    assert variables.lookup("app-dir").get_scalar() == "/usr/lib/app"
    assert variables.lookup("app-dir").dup_provenance() == "app.bst [line 10 column 12]"

    config = app.get_config()
    commands = config.get_string_list("build-commands")
    assert commands == ["echo cross-building for %{target-arch}", "make -C src"], commands
    env = app.get_environment()
    assert env.get_string("APP_HOME", None) == "/usr/lib/app"

    lib = loader.get_element("lib.bst")
    sources = lib.get_sources()
    assert sources.get_n_items() == 1
    source = sources.get_item(0)
    assert source.get_kind() == "tar"
    url = source.get_config().get_string("url", None)
    assert project.translate_url(url).startswith("https://download.gnome.org/")

    # The element's data pickles, with its provenance.
    data = Job.pickle_dumps(lib)
    copy = Job.pickle_loads(data)
    assert copy.get_name() == "lib.bst"
    assert copy.get_sources().get_item(0).get_provenance() == source.get_provenance()


def test_errors():
    with tempfile.TemporaryDirectory() as directory:
        with open(os.path.join(directory, "project.conf"), "w") as f:
            f.write("name: broken\n")
        with open(os.path.join(directory, "a.bst"), "w") as f:
            f.write("kind: manual\ndepends:\n  not: a list\n")
        project = Job.Project.new(directory)
        project.load(None)
        loader = Job.Loader.new(project)
        try:
            loader.load(["a.bst"], None)
        except GLib.Error as error:
            assert error.matches(Job.load_error_quark(), Job.LoadError.INVALID_DATA), error
            assert error.message == "a.bst [line 3 column 3]: expected a list, got a mapping", error.message
        else:
            raise AssertionError("loading a.bst should have failed")

    try:
        Job.Node.load_data(b"a: [", "inline.yml")
    except GLib.Error as error:
        assert error.matches(Job.load_error_quark(), Job.LoadError.INVALID_YAML)
        assert error.message.startswith("inline.yml [line 2 column 1]: invalid YAML"), error.message
    else:
        raise AssertionError("parsing should have failed")


def test_workspaces():
    with tempfile.TemporaryDirectory() as directory:
        project_dir = os.path.join(directory, "project")
        os.makedirs(os.path.join(project_dir, "files"))
        with open(os.path.join(project_dir, "project.conf"), "w") as f:
            f.write("name: ws\n")
        with open(os.path.join(project_dir, "app.bst"), "w") as f:
            f.write("kind: import\nsources:\n- kind: local\n  path: files\n")
        outside = os.path.join(directory, "src")
        inside = os.path.join(project_dir, "ws")

        project = Job.Project.new(project_dir)
        project.load(None)
        assert project.get_workspace("app.bst") is None
        assert project.dup_workspace_elements() == []
        project.set_workspace("app.bst", outside)
        project.set_workspace("lib.bst", inside)
        project.save_workspaces()

        # The next load sees them; one inside the project is kept relative.
        again = Job.Project.new(project_dir)
        again.load(None)
        assert again.dup_workspace_elements() == ["app.bst", "lib.bst"]
        assert again.get_workspace("app.bst") == outside
        assert again.get_workspace("lib.bst") == inside
        with open(os.path.join(project_dir, ".job", "workspaces.yml")) as f:
            assert "path: ws\n" in f.read()

        # The loader gives the element the workspace as its one source.
        loader = Job.Loader.new(again)
        loader.load(["app.bst"], None)
        sources = loader.get_element("app.bst").get_sources()
        assert sources.get_n_items() == 1
        assert sources.get_item(0).get_kind() == "workspace"

        # Closing the last one removes the file and .job/.
        again.set_workspace("app.bst", None)
        again.set_workspace("lib.bst", None)
        again.save_workspaces()
        assert not os.path.exists(os.path.join(project_dir, ".job"))


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def test_junction():
    with tempfile.TemporaryDirectory() as directory:
        write(os.path.join(directory, "project.conf"), "name: top\n")
        write(os.path.join(directory, "sdk.bst"),
              "kind: junction\nsources:\n- kind: local\n  path: sdk\n")
        write(os.path.join(directory, "app.bst"), "kind: stack\ndepends:\n- sdk.bst:gcc.bst\n")
        write(os.path.join(directory, "sdk", "project.conf"), "name: sdk\n")
        write(os.path.join(directory, "sdk", "gcc.bst"), "kind: stack\n")

        project = Job.Project.new(directory)
        project.load(None)
        loader = Job.Loader.new(project)
        loader.load(["app.bst"], None)
        plan = loader.list_dependencies(["app.bst"], Job.Deps.PLAN)
        assert names(plan) == ["sdk.bst:gcc.bst", "app.bst"], names(plan)
        assert loader.get_element_project("app.bst") == project
        assert loader.get_element_project("sdk.bst:gcc.bst").get_name() == "sdk"
        assert loader.get_element_project("nothing.bst") is None

        # The junction's own sources, as job track tracks them.
        assert loader.dup_junction_sources("app.bst") is None
        loader.set_cache(Job.ArtifactCache.new(os.path.join(directory, "cache"), None))
        sources = loader.dup_junction_sources("sdk.bst")
        assert sources.get_n_items() == 1
        assert sources.get_item(0).get_kind() == "local"


if __name__ == "__main__":
    test_walk_sample()
    test_errors()
    test_workspaces()
    test_junction()
    print("ok")
    sys.exit(0)
