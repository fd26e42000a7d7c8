"""The link registry (queries.links) and the chain SQL name the same links, in one order."""

from __future__ import annotations

import re
from importlib import resources

from watchkeeper.queries.links import BOXES, BY_NAME, LINKS

# One entry of wk_control_chain's `all_links` list: struct_pack(link := '…', literal := …,
CHAIN_LINK = re.compile(r"struct_pack\(\s*link\s*:=\s*'([a-z_]+)',\s*literal\s*:=\s*(true|false)\b")


def sql_links() -> list[tuple[str, bool]]:
    sql = resources.files("watchkeeper.queries").joinpath("sql", "chain.sql").read_text("utf-8")
    return [(name, flag == "true") for name, flag in CHAIN_LINK.findall(sql)]


def test_registry_matches_chain_sql_names_order_and_literal_flags():
    in_sql = sql_links()
    assert len(in_sql) == 21  # the parse found the list, not a stray match
    assert [(link.name, link.literal) for link in LINKS] == in_sql


def test_every_link_sits_in_a_drawn_box_and_every_box_has_links():
    boxes = [box for box, _ in BOXES]
    assert len(set(boxes)) == len(boxes)
    assert {link.box for link in LINKS} == set(boxes)
    assert len(BY_NAME) == len(LINKS)  # no name twice
    assert all(link.label and link.label == link.label.strip() for link in LINKS)
