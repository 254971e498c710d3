"""Values a restore does not write are counted, sampled without secrets, kept whole."""

from __future__ import annotations

import json

from datamig.runtime.losses import LostValues
from datamig.runtime.migrations import Drop


def test_samples_hide_secrets_and_the_file_keeps_every_value(tmp_path):
    path = tmp_path / "lost.jsonl"
    losses = LostValues(str(path))
    losses.record(
        [
            Drop("auth.User", "loss allowed", 1, "password", "pbkdf2_sha256$1$salt$hash"),
            Drop(
                "app.Thing",
                "model dropped",
                7,
                None,
                {"id": 7, "api_key": "k-123", "name": "seven"},
            ),
            Drop(
                "app.Thing",
                "model dropped",
                8,
                None,
                {"id": 8, "api_key": "k-456", "name": "eight"},
            ),
        ]
    )
    losses.close()
    summary = losses.as_dict()
    shown = json.dumps(summary)
    assert "pbkdf2" not in shown and "k-123" not in shown
    assert summary["models"]["auth.User"]["password"] == {
        "count": 1,
        "reason": "loss allowed",
        "first": [{"pk": 1, "value": "<hidden>"}],
    }
    assert summary["models"]["app.Thing"]["*row"]["first"][0]["value"] == {
        "id": 7,
        "api_key": "<hidden>",
        "name": "seven",
    }
    kept = [json.loads(line) for line in path.read_text().splitlines()]
    assert kept[0]["value"] == "pbkdf2_sha256$1$salt$hash"
    assert kept[2]["value"]["api_key"] == "k-456"
    assert summary["values"] == 3 and summary["file"] == str(path)


def test_a_discarded_restore_leaves_no_file(tmp_path):
    path = tmp_path / "lost.jsonl"
    losses = LostValues(str(path))
    losses.record([Drop("app.Thing", "dropped", 1, "name", "x")])
    assert path.exists()
    losses.discard()
    assert not path.exists()
