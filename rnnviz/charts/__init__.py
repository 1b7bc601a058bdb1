"""Altair charts built from core results (no Streamlit), one module per page plus the shared parts:

* ``common``: palette, paddings (``PAD``, ``FIT_X``), log-safe values, ``format_magnitude`` and the
  log-10 conversion of the core's natural logs;
* ``spec``: the one way from a chart to a cached Vega-Lite spec (``vega_spec``, ``template_spec``);
* ``export``: PNG, SVG and CSV of a spec.

Import the module you need (``from rnnviz.charts import spectral as ch``).
"""
