"""The app's pages, in navigation order: one place for paths, titles and icons."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageInfo:
    path: str   # relative to app.py, as st.page_link wants it
    title: str
    icon: str
    blurb: str


HOME = PageInfo("app.py", "Home", ":material/home:", "What rnnviz shows and where to start.")

PAGES: tuple[PageInfo, ...] = (
    PageInfo("pages/1_Scalar_intuition.py", "Scalar intuition", ":material/trending_down:",
             "One hidden unit: the gradient is a product of numbers, so it shrinks or grows exponentially."),
    PageInfo("pages/2_Nonlinearity_derivatives.py", "Nonlinearity derivatives", ":material/functions:",
             "Why sigmoid and tanh shrink gradients: their derivatives are small almost everywhere."),
    PageInfo("pages/3_Spectral_norms.py", "Jacobian products and spectral norms", ":material/grid_on:",
             "Many hidden units: singular values, not eigenvalues, decide vanishing and exploding."),
    PageInfo("pages/4_Gradient_clipping.py", "Gradient clipping", ":material/content_cut:",
             "The cure for exploding gradients: clip by norm or by value, and what each framework does."),
    PageInfo("pages/5_Training_lab.py", "Training lab", ":material/model_training:",
             "Train an RNN on 'cat … was / cats … were' and watch gradients explode and vanish."),
)
