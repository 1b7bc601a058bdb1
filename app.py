"""rnnviz home page: what the app shows, one chart of the core idea, and a card per page."""

import streamlit as st

from rnnviz.charts.home import powers_chart, step_factor_chart
from rnnviz.charts.spec import vega_spec
from rnnviz.ui import PAGES, cached, export, page_frame
from rnnviz.ui.registry import available_pages

page_frame(
    __file__,
    lead=(
        "*The **cat**, which already ate a whole bowl of fish and then slept all afternoon in the sun, "
        "**was** full* — but *the **cats** … **were** full*. To choose *was* or *were*, a recurrent "
        "network must carry one fact across every word in between. It learns that by "
        "back-propagation through time: the gradient that reaches a word k steps back is the "
        "gradient at the end multiplied by k step Jacobians, one per word in between."
    ),
)

st.latex(
    r"\frac{\partial \mathcal{L}_t}{\partial h_{t-k}}"
    r" = \frac{\partial \mathcal{L}_t}{\partial h_t}\,J_t\,J_{t-1}\cdots J_{t-k+1},"
    r"\qquad J_s = \frac{\partial h_s}{\partial h_{s-1}} = \operatorname{diag}\!\big(f'(a_s)\big)\,W"
)
st.markdown(
    "A product of many factors behaves like $r^k$. When each step shrinks the gradient — the "
    "largest singular value of $W$ times $\\gamma = \\max|f'|$ below 1 — it **vanishes** "
    "exponentially, and the network cannot learn that *cat* decides *was*. When the steps stretch "
    "it, the gradient **explodes**: one update throws the weights off a cliff and the loss turns "
    "into NaN. Exploding has a simple cure, **clipping** the gradient's norm before each step; "
    "vanishing needs a different architecture (LSTM, GRU). Every page below lets you push on one "
    "part of that product and watch what happens, computed live."
)



@cached
def home_specs() -> tuple[dict, dict]:
    """The two charts of the home page, built once per server (they take no settings)."""
    return vega_spec(step_factor_chart()), vega_spec(powers_chart())


left, right = st.columns(2)
with left:
    export.figure(home_specs()[0], name="Per-step factor of each nonlinearity",
                  notice="sigmoid's factor never exceeds ¼ and tanh's is near 1 only around a = 0; once a "
                         "unit saturates (|a| above 3 or so) its factor is almost 0. ReLU passes 1 or 0, "
                         "nothing between.")
with right:
    export.figure(home_specs()[1], name="The same factor k times",
                  notice="the same factor k times. 0.9 looks harmless, yet after 60 steps only 0.2 % of the "
                         "gradient is left; 1.1 grows it about 300-fold. Only exactly 1 keeps it — a knife's edge.")

st.subheader("Where to go")
present = {page.path: page for page in available_pages()}
cards = [*PAGES, *(page for path, page in present.items() if page not in PAGES)]
for start in range(0, len(cards), 3):
    for column, page in zip(st.columns(3), cards[start:start + 3]):
        with column.container(border=True):
            if page.path in present:
                st.page_link(page.path, label=f"**{page.title}**", icon=page.icon)
            else:
                st.markdown(f"{page.icon} **{page.title}** · *coming soon*")
            st.caption(page.blurb or "A new page.")

st.caption(
    ":material/link: Every control lives in the page's address: copy the URL to share exactly "
    "what you see. **Lecture mode** in the sidebar enlarges the type for a projector."
)
