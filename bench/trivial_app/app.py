"""Baseline for bench/load.py: the smallest Streamlit app with as many pages as rnnviz.

Every page is a title and one small chart, so a run costs what Streamlit itself costs
(script start, page config, one Altair spec, the websocket round trip) and nothing more.
"""

import _trivial

_trivial.page("Home", 0)
