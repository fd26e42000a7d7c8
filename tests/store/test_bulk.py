"""A cell's text: lists of text take a shortcut past the JSON encoder, and must come out
exactly as the encoder spells them (stored text feeds the snapshot hashes)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from watchkeeper.store.bulk import cell

# name → a cell value the collector stores as JSON
_JSON_CELLS: dict[str, Any] = {
    "empty list": [],
    "one action": ["logs:PutMetricFilter"],
    "ARNs": ["arn:aws:sns:us-east-1:111122223333:alerts", "arn:aws:sns:eu-west-1:1:b"],
    "tuple": ("a", "b"),
    "non-ASCII and escapes": ["Überwachung", 'say "hi"', "tab\there", "line\nbreak", "\\"],
    "mixed list": ["a", 1, None, True],
    "nested list": [["a"], {"k": "v"}],
    "empty dict": {},
    "dict, keys sorted": {"b": ["x"], "a": {"d": 1, "c": "é"}},
}


@pytest.mark.parametrize("value", _JSON_CELLS.values(), ids=_JSON_CELLS.keys())
def test_a_json_cell_is_what_the_json_encoder_writes(value: Any) -> None:
    assert cell(value) == json.dumps(value, sort_keys=True)
    assert json.loads(cell(value) or "") == json.loads(json.dumps(value))
