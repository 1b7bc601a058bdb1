""".streamlit/config.toml: every option is one Streamlit 1.67 knows, set as the app needs."""

from __future__ import annotations

import tomllib
from pathlib import Path

from streamlit import config

CONFIG = Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml"


def _flatten(table: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def test_every_option_exists():
    # Streamlit only warns about an unknown option and ignores it; a typo would pass unseen.
    options = _flatten(tomllib.loads(CONFIG.read_text()))
    config.get_config_options()
    unknown = sorted(set(options) - set(config._config_options))
    assert not unknown, f"not Streamlit options: {unknown}"


def test_the_settings_the_app_relies_on():
    options = _flatten(tomllib.loads(CONFIG.read_text()))
    assert options["client.showSidebarNavigation"] is False  # titles come from the frame's page links
    assert options["client.showErrorDetails"] == "none"
    assert options["client.toolbarMode"] == "minimal"
    assert options["server.headless"] is True and options["server.runOnSave"] is False
    import rnnviz

    assert options["server.maxUploadSize"] == rnnviz.MAX_CHECKPOINT_BYTES // 2**20  # the checkpoint page's limit
    assert options["browser.gatherUsageStats"] is False
    assert options["theme.primaryColor"] == options["theme.linkColor"], "one accent colour"


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_text_and_accent_are_readable_on_a_projector():
    options = _flatten(tomllib.loads(CONFIG.read_text()))
    for background in ("theme.backgroundColor", "theme.secondaryBackgroundColor"):
        # WCAG AAA for body text is 7:1; a projector washes contrast out, so ask for it.
        assert _contrast(options["theme.textColor"], options[background]) >= 7, background
        assert _contrast(options["theme.primaryColor"], options[background]) >= 7, background


def test_no_page_relies_on_magic():
    # runner.magicEnabled = false: a bare expression on a page would silently stop being drawn
    import ast

    from streamlit.runtime.scriptrunner.magic import add_magic

    assert _flatten(tomllib.loads(CONFIG.read_text()))["runner.magicEnabled"] is False
    root = CONFIG.parents[1]
    for path in [root / "app.py", *sorted((root / "pages").glob("*.py"))]:
        page = path.name
        tree = add_magic(path.read_text(), page)
        written = [n for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == "transparent_write"]
        assert not written, f"{page} writes {len(written)} bare expression(s) through magic"
