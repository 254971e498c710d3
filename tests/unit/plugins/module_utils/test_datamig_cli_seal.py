"""datamig_cli's trust_unsigned: the argument it adds and what a module reports."""

from ansible_collections.datamig.site.plugins.module_utils import datamig_cli  # isort: skip

NOTE = "UNSIGNED snapshot: its origin was not checked (accepted because of --trust-unsigned)"


def test_the_argument_only_when_asked():
    assert datamig_cli.seal_args({"trust_unsigned": True}) == ["--trust-unsigned"]
    assert datamig_cli.seal_args({"trust_unsigned": False}) == []
    assert datamig_cli.seal_args({}) == []
    assert datamig_cli.sealed_argument_spec() == {
        "trust_unsigned": {"type": "bool", "default": False}
    }


def test_without_trust_unsigned_what_the_engine_accepted_is_signed():
    # the engine refuses an unsigned snapshot without the flag: a mention cannot make it so
    assert datamig_cli.seal_report(False, [f"datamig: warning: x: {NOTE}"]) == {
        "trust_unsigned": False,
        "signed": True,
    }


def test_with_trust_unsigned_the_engines_note_decides():
    assert datamig_cli.seal_report(True, ["", f"datamig: warning: /s: {NOTE}\n"])["signed"] is False
    assert datamig_cli.seal_report(True, ["datamig: 3 models", None])["signed"] is True
    assert datamig_cli.seal_report(True, [])["signed"] is True


def test_what_verify_said_wins():
    assert datamig_cli.seal_report(True, [], signed=False) == {
        "trust_unsigned": True,
        "signed": False,
    }
    assert datamig_cli.seal_report(True, [NOTE], signed=True)["signed"] is True
