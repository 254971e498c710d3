"""hooks: which of the operator's before_/after_ task files exist, the window's hook
commands, and what each refuses."""

import pytest

from ansible_collections.datamig.site.plugins.module_utils import hooks  # isort: skip


def test_no_folder_means_no_hooks():
    assert hooks.hook_files("") == {}
    assert hooks.window_hooks({}) == {} and hooks.window_hooks(None) == {}


def test_the_files_that_exist_by_step(tmp_path):
    (tmp_path / "before_release.yml").write_text("[]\n")
    (tmp_path / "after_prepare.yaml").write_text("[]\n")
    (tmp_path / "notes.txt").write_text("not a hook\n")
    (tmp_path / "common.yml").write_text("[]\n")  # included by a hook, not one itself
    found = hooks.hook_files(str(tmp_path))
    assert found == {
        "before_release": str(tmp_path / "before_release.yml"),
        "after_prepare": str(tmp_path / "after_prepare.yaml"),
    }


def test_a_relative_folder_is_the_playbooks(tmp_path):
    (tmp_path / "hooks").mkdir()
    (tmp_path / "hooks" / "after_window.yml").write_text("[]\n")
    assert hooks.hook_files("hooks", str(tmp_path)) == {
        "after_window": str(tmp_path / "hooks" / "after_window.yml")
    }


def test_a_hook_for_no_step_and_a_missing_folder_are_errors(tmp_path):
    (tmp_path / "before_releases.yml").write_text("[]\n")
    with pytest.raises(ValueError, match="no step 'releases'"):
        hooks.hook_files(str(tmp_path))
    with pytest.raises(ValueError, match="is not a folder"):
        hooks.hook_files(str(tmp_path / "missing"))


def test_a_task_file_for_a_step_inside_the_window_is_refused_naming_the_commands(tmp_path):
    (tmp_path / "before_switch.yml").write_text("[]\n")
    with pytest.raises(ValueError, match=r"inside the window.*datamig_window_hooks"):
        hooks.hook_files(str(tmp_path))


def test_the_same_hook_twice_is_an_error(tmp_path):
    (tmp_path / "before_release.yml").write_text("[]\n")
    (tmp_path / "before_release.yaml").write_text("[]\n")
    with pytest.raises(ValueError, match="given twice"):
        hooks.hook_files(str(tmp_path))


def test_every_controller_step_has_both_hook_points(tmp_path):
    for step in ("preflight", "release", "prepare", "window", "cleanup"):
        for when in ("before", "after"):
            (tmp_path / f"{when}_{step}.yml").write_text("[]\n")
    assert len(hooks.hook_files(str(tmp_path))) == 10


def test_window_hook_commands_as_argv_lists():
    spec = {
        "before_switch": ["echo 'a b' > /tmp/x", ["/usr/bin/touch", "/tmp/a file"]],
        "after_maintenance_off": "curl -fsS http://127.0.0.1/warm",
    }
    assert hooks.window_hooks(spec) == {
        "after_maintenance_off": [["/bin/sh", "-c", "curl -fsS http://127.0.0.1/warm"]],
        "before_switch": [
            ["/bin/sh", "-c", "echo 'a b' > /tmp/x"],
            ["/usr/bin/touch", "/tmp/a file"],
        ],
    }


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"before_release": ["true"]}, "no hook point 'before_release'"),
        ({"during_switch": ["true"]}, "no hook point 'during_switch'"),
        ({"after_health": [""]}, "an empty command"),
        ({"after_health": [[]]}, "an empty command"),
        ({"after_health": [["ls", 3]]}, "a string or a list of strings"),
        (["before_switch"], "must be a mapping"),
    ],
)
def test_bad_window_hooks_are_refused_clearly(spec, message):
    with pytest.raises(ValueError, match=message):
        hooks.window_hooks(spec)
