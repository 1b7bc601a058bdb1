"""Presets and the claims they make, as pure data next to the computation they describe.

Every sentence the app states about a setting is kept here with a *check* of what it
promises, evaluated on the very core result the page shows:

- a :class:`View` is one page's (or one page section's) controls — their link keys and
  default values — and ``compute``, the core call the page caches (keyword arguments named
  as the controls' keys). ``view.evaluate(values)`` fills in the defaults, exactly as a
  preset's button and link do, and returns that result;
- a :class:`Preset` is a label, a caption, the control values it sets and ``expect``, a
  predicate on ``view.evaluate(preset.values)`` that holds when the caption is true;
- a :class:`Claim` is any other sentence about a fixed view (a lead, or a Notice about the
  default view) with the same kind of check.

``tests/test_claims.py`` evaluates every preset and claim of every view in :data:`VIEWS`
and asserts its check, so a caption cannot drift from the numbers. Sentences that depend on
the controls are not claims: pages compute them live from the result. A guided tour can
reuse the mechanism: a tour step is a :class:`Preset` of the page's view.

Streamlit-free: ``rnnviz.ui.presets`` draws the buttons and links from these definitions.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class Preset:
    """A named setting of a view's controls (link key → value) and what it demonstrates.

    ``expect(result) -> bool`` checks the caption on ``view.evaluate(values)``; ``None`` only for
    a caption that states nothing the computation could contradict.
    """

    label: str
    caption: str
    values: Mapping[str, object] = field(default_factory=dict)
    expect: Callable[[Any], bool] | None = None


@dataclass(frozen=True)
class Claim:
    """A sentence shown for fixed control values (``{}``: the default view), with its check."""

    where: str
    text: str
    expect: Callable[[Any], bool]
    values: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class View:
    """A page's (or a section's) controls and the core computation its figures show.

    ``defaults`` maps every control key of the view to its default value (the pages take their
    widgets' defaults from here); ``compute`` takes some of those keys as keyword arguments (or all
    of them as ``**values``).
    """

    name: str
    defaults: Mapping[str, object]
    compute: Callable[..., Any]
    presets: tuple[Preset, ...] = ()
    claims: tuple[Claim, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "defaults", MappingProxyType(dict(self.defaults)))
        for preset in self.presets:
            self.settings(preset.values)  # an unknown key is a typo: fail at import, not in a hall
        for claim in self.claims:
            self.settings(claim.values)

    def settings(self, values: Mapping[str, object] | None = None) -> dict[str, object]:
        """Every control's value: ``values`` over the defaults (what a preset's link opens)."""
        values = dict(values or {})
        unknown = sorted(set(values) - set(self.defaults))
        if unknown:
            raise ValueError(f"view {self.name!r} has no control {', '.join(unknown)}; "
                             f"its controls are {', '.join(self.defaults)}.")
        return {**self.defaults, **values}

    def arguments(self, values: Mapping[str, object] | None = None) -> dict[str, object]:
        """The keyword arguments ``compute`` takes, from ``values`` over the defaults."""
        params = inspect.signature(self.compute).parameters
        settings = self.settings(values)
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
            return settings  # ``compute(**values)``: for keys that are not identifiers, such as ``in``
        return {k: v for k, v in settings.items() if k in params}

    def evaluate(self, values: Mapping[str, object] | None = None):
        """The result the page shows for these control values (defaults for the rest)."""
        return self.compute(**self.arguments(values))

    def preset(self, label: str) -> Preset:
        """The preset with this label."""
        for preset in self.presets:
            if preset.label == label:
                return preset
        raise KeyError(f"view {self.name!r} has no preset {label!r}.")


def all_views(example_bytes: Callable[[str], bytes]) -> tuple[View, ...]:
    """Every view of every page, for the claims test and the tour. ``example_bytes(ex)`` returns the
    bytes of the "Your network" page's bundled example ``ex`` (reading files is not the core's:
    ``rnnviz.ui.bundled.example_bytes`` reads them)."""
    from . import checkpoint, clipping, meanfield, nonlinearity, scalar, spectral, training

    return (*scalar.VIEWS, *nonlinearity.VIEWS, *spectral.VIEWS, *clipping.VIEWS, *training.VIEWS,
            checkpoint.view(example_bytes), *meanfield.VIEWS)


__all__ = ["Claim", "Preset", "View", "all_views"]
