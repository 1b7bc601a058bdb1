"""Every page on a phone, by keyboard and for a screen reader (WCAG 2.1 AA): the page-wide part.

:func:`apply` (called by the page frame) adds one stylesheet and one small script to the page:

* **Reflow** (1.4.10): a chart never runs past its column (a side-by-side or fixed-size chart is
  scaled down to fit: it keeps its proportions and stays readable on a 320 px phone); a long
  formula or a wide table scrolls sideways inside its own box instead of widening the page.
* **Keyboard** (2.1.1): every such box that actually scrolls is made focusable
  (``tabindex="0"``, a role and a name), so a keyboard user can scroll it with the arrow keys.
  The script re-checks whenever the page changes or is resized, and removes what it added
  when a box stops scrolling (no useless tab stops on a wide screen).
* **Focus visible** (2.4.7): a clear outline in the theme's accent colour on whatever has the
  keyboard focus.
* **Touch**: buttons and links at least 44 px tall where the pointer is a finger.
* **Motion** (2.3.3 good practice): with "reduce motion" set, no animations or transitions.

Charts' own text alternatives and data tables are added where each chart is drawn
(:mod:`rnnviz.ui.export`).
"""

from __future__ import annotations

import streamlit as st

#: Focus outline colour on a light and on a dark page (the theme's accent, ≥ 3:1 on the background).
FOCUS_LIGHT, FOCUS_DARK = "#5E3A9E", "#B79CFF"

#: What counts as a box that may scroll sideways: display formulas, tables in Markdown, and the box
#: Streamlit puts around an ``st.table`` (it scrolls when the table is wider than the page).
SCROLL_BOXES = '.katex-display, [data-testid="stMarkdownContainer"] table, .stTable > div'

_CSS = """
[data-testid="stVegaLiteChart"], [data-testid="stVegaLiteChart"] .vega-embed { max-width: 100%; }
[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg.marks {
  max-width: 100% !important; height: auto !important; }
.katex-display { overflow-x: auto; overflow-y: hidden; max-width: 100%; padding: 0.15rem 0; }
[data-testid="stMarkdownContainer"] table { display: block; max-width: 100%; overflow-x: auto; }
:focus-visible, .katex-display:focus, [data-testid="stMarkdownContainer"] table:focus, .stTable > div:focus {
  outline: 3px solid FOCUS !important; outline-offset: 2px; }
/* Streamlit's shortcut badge on a button (st.button(shortcut=...): the tour's PageDown/PageUp) is drawn
   in a faded grey below 4.5:1 (axe color-contrast, WCAG 1.4.3): the button's own text colour instead. */
button kbd { color: inherit !important; opacity: 1 !important; }
@media (pointer: coarse) {
  [data-testid="stMain"] button, [data-testid="stSidebar"] button,
  [data-testid="stPageLink"] a { min-height: 44px; }
}
@media (prefers-reduced-motion: reduce) {
  *, *::before, *::after { animation-duration: 0.01ms !important; animation-iteration-count: 1 !important;
    transition-duration: 0.01ms !important; scroll-behavior: auto !important; }
}
"""

# Marks only what it added (data-rnnviz-scroll), so Streamlit's own attributes are never touched.
_SCRIPT = """
<script>
(() => {
  if (window.__rnnvizScrollBoxes) return;
  window.__rnnvizScrollBoxes = true;
  const BOXES = 'SCROLL_BOXES';
  const mark = () => {
    for (const box of document.querySelectorAll(BOXES)) {
      const scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute('tabindex')) {
        box.setAttribute('tabindex', '0');
        box.setAttribute('data-rnnviz-scroll', '');
        if (box.tagName !== 'TABLE') {
          box.setAttribute('role', 'group');
          const what = box.classList.contains('katex-display') ? 'Formula' : 'Table';
          box.setAttribute('aria-label', what + ' (scroll sideways with the arrow keys)');
        }
      } else if (!scrolls && box.hasAttribute('data-rnnviz-scroll')) {
        for (const a of ['tabindex', 'data-rnnviz-scroll', 'role', 'aria-label']) box.removeAttribute(a);
      }
    }
  };
  let queued = false;
  const soon = () => { if (!queued) { queued = true; requestAnimationFrame(() => { queued = false; mark(); }); } };
  new MutationObserver(soon).observe(document.body, {childList: true, subtree: true});
  window.addEventListener('resize', soon);
  mark();
})();
</script>
"""


def css(dark: bool = False) -> str:
    """The stylesheet, with the focus outline in the accent colour of a light or dark page."""
    return _CSS.replace("FOCUS", FOCUS_DARK if dark else FOCUS_LIGHT)


def script() -> str:
    """The script that makes each sideways-scrolling formula or table keyboard-focusable."""
    return _SCRIPT.replace("SCROLL_BOXES", SCROLL_BOXES.replace("'", "\\'"))


def apply() -> None:
    """Add the stylesheet (no space taken) and, in the sidebar, the script (runs once per tab)."""
    from .export import _dark

    st.html(f"<style>{css(_dark())}</style>")
    st.sidebar.html(script(), unsafe_allow_javascript=True)
