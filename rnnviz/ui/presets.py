"""Presets: one click sets a telling configuration; each is also a shareable link."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import streamlit as st

from . import urlstate
from .urlstate import url_value


@dataclass(frozen=True)
class Preset:
    """A named setting of a page's widgets (widget key → value) and what it demonstrates."""

    label: str
    caption: str
    values: Mapping[str, object] = field(default_factory=dict)

    def query_params(self, formats: Mapping[str, Callable] | None = None) -> dict[str, str]:
        """The link's parameters. A control whose options are shown through a ``format_func``
        takes its formatted label from a link (``nW=30``, not ``nW=30.0``): pass those here."""
        formats = formats or {}
        return {k: str(formats[k](v)) if k in formats else url_value(v) for k, v in self.values.items()}


def _apply(page: str, preset: Preset) -> None:
    # A button does what its link does: controls the preset does not name go back to their
    # defaults (a link opens with defaults too), so the view matches the preset's caption.
    for key in urlstate.bound_keys():
        if key not in preset.values:
            urlstate.forget(key)
    for key, value in preset.values.items():
        st.session_state[key] = value
    for key in [k for k in st.session_state if str(k).startswith("_preset_")]:
        del st.session_state[key]  # one caption at a time, also with several preset bars on a page
    st.session_state[f"_preset_{page}"] = preset.label


def preset_button(preset: Preset, *, page: str, label: str, key: str, **kwargs) -> None:
    """A button elsewhere on the page that applies ``preset`` exactly as its button in the bar does
    (the other controls back to their defaults, the preset's caption shown); ``kwargs`` go to
    ``st.button`` (icon, help, ...)."""
    kwargs.setdefault("help", preset.caption)
    st.button(label, key=key, on_click=_apply, args=(page, preset), **kwargs)


def preset_bar(presets: Sequence[Preset], *, page: str, path: str) -> Preset | None:
    """Draw the presets as buttons, each with its link; call before the page's widgets.

    ``page`` names the page (keys the "active preset" memory); ``path`` is the page's script
    path relative to app.py, for the links. Returns the preset applied last, if any; its
    caption is shown so the viewer knows what to look for.
    """
    st.markdown("**Presets** — one click sets a telling configuration; each link opens it for anyone:")
    row = st.container(horizontal=True, gap="small", key=f"presets_{page}")
    for i, preset in enumerate(presets):
        group = row.container(horizontal=True, gap=None, width="content", vertical_alignment="center",
                              key=f"preset_group_{page}_{i}")
        group.button(preset.label, key=f"preset_{page}_{preset.label}", help=preset.caption,
                     on_click=_apply, args=(page, preset))
        slot = group.empty()
        shown: list = [None]  # the parameters the link shows in this run

        def draw(slot=slot, preset=preset, shown=shown) -> None:
            params = preset.query_params(urlstate.formats())
            if params == shown[0]:
                return  # a later control's format did not change this link: nothing to redraw
            shown[0] = params
            slot.page_link(path, label="link", icon=":material/link:", query_params=params,
                           help=f"A link that opens “{preset.label}” (right-click to copy it)")

        draw()
        # Drawn again once a control of this preset shows its options through a format_func
        # (the controls come after the bar), so even the first run's links carry the labels.
        urlstate.on_format(set(preset.values), draw)
    active = st.session_state.get(f"_preset_{page}")
    chosen = next((p for p in presets if p.label == active), None)
    if chosen is not None:
        st.info(f"**{chosen.label}:** {chosen.caption}", icon=":material/lightbulb:")
    return chosen
