"""pip_report: what installing the engine would replace in a site's own virtualenv."""

import json

import pytest

from ansible_collections.datamig.site.plugins.module_utils import pip_report  # isort: skip

REPORT = {
    "install": [
        {"metadata": {"name": "datamig", "version": "0.1.0"}},
        {"metadata": {"name": "cryptography", "version": "50.0.2"}},
        {"metadata": {"name": "CFFI", "version": "2.1.1"}},
        {"metadata": {"name": "typing_extensions", "version": "4.16.0"}},
    ]
}


def test_only_packages_there_in_another_version_are_replaced():
    installed = [
        {"name": "cryptography", "version": "41.0.7"},
        {"name": "cffi", "version": "2.1.1"},  # same version: not a change
        {"name": "typing-extensions", "version": "4.12.0"},  # names compared as pip does
        {"name": "Django", "version": "5.2.19"},
    ]
    assert pip_report.replaced(json.dumps(REPORT), json.dumps(installed)) == [
        "cryptography 41.0.7 -> 50.0.2",
        "typing_extensions 4.12.0 -> 4.16.0",
    ]
    assert pip_report.replaced(REPORT, [{"name": "Django", "version": "5.2"}]) == []


def test_output_that_is_not_pips_is_an_error():
    with pytest.raises(pip_report.PipReportError, match="not JSON"):
        pip_report.replaced("ERROR: no such option: --report", "[]")
    with pytest.raises(pip_report.PipReportError, match="shape"):
        pip_report.replaced("[]", "{}")
