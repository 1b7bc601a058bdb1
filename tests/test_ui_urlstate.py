"""How widget values are written in links, and when a link value counts as rejected."""

import pytest

pytest.importorskip("streamlit")

from rnnviz.ui.presets import Preset, query_params  # noqa: E402
from rnnviz.ui.urlstate import _matches, url_value  # noqa: E402


@pytest.mark.parametrize(
    ("value", "text"),
    [(True, "true"), (False, "false"), (1.0, "1.0"), (0.25, "0.25"), (3, "3"), ("tanh", "tanh")],
)
def test_url_value(value, text):
    assert url_value(value) == text


@pytest.mark.parametrize(
    ("raw", "value", "ok"),
    [("1.5", 1.5, True), ("1.50", 1.5, True), ("9", 1.0, False), ("abc", 1.0, False),
     ("relu", "relu", True), ("bogus", "tanh", False), ("true", True, True), ("2.5", 2, False)],
)
def test_matches(raw, value, ok):
    assert _matches(raw, value, None) is ok


def test_matches_formatted_option():
    assert _matches("x1.0", 1.0, lambda v: f"x{v}")


def test_preset_query_params():
    p = Preset("Explode", "grows", {"w": 1.5, "nl": "relu", "lecture": True})
    assert query_params(p) == {"w": "1.5", "nl": "relu", "lecture": "true"}


def test_dark_page_card_keeps_the_charts_own_config():
    from rnnviz.ui.export import CARD, LIGHT_CONFIG, on_card

    spec = {"mark": "line", "config": {"axis": {"labelColor": "red"}, "legend": {"orient": "top"}}}
    card = on_card(spec)
    assert card["background"] == CARD and card["padding"]["bottom"] == 8  # Streamlit needs the object form
    assert card["config"]["axis"]["labelColor"] == "red"                   # the chart's own choice wins
    assert card["config"]["axis"]["gridColor"] == LIGHT_CONFIG["axis"]["gridColor"]
    assert card["config"]["legend"] == {**LIGHT_CONFIG["legend"], "orient": "top"}
    assert spec == {"mark": "line", "config": {"axis": {"labelColor": "red"}, "legend": {"orient": "top"}}}


def test_download_keys_are_readable_slugs():
    from rnnviz.ui.export import slug

    assert slug("Gradient ∂h_T/∂h_k against distance") == "gradient-h-t-h-k-against-distance"
    assert slug("Units x time heat map") == "units-x-time-heat-map" and slug("∂∂") == "chart"
