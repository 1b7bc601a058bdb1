"""Shared body of the trivial pages: a title and one small chart."""

import numpy as np
import pandas as pd
import streamlit as st


def page(title: str, seed: int) -> None:
    st.set_page_config(page_title=f"{title} · trivial", layout="wide")
    st.title(title)
    rng = np.random.default_rng(seed)
    st.line_chart(pd.DataFrame({"y": rng.standard_normal(20).cumsum()}))
