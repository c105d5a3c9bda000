"""The apps' small theme: colours, spacing and headings, declared once, for the dashboards and the storefront.

- The storefront: `CSS` and `gradio_theme()` (app.py).
- The dashboards: each notebook shows its app through `widgets.common.themed`, which puts `CSS` and
  `DASHBOARD_CSS` on the page (headings, spacing, messages, cards); the panels' inline colours
  (status lines, verdicts, chart lines) are the names below (`ERROR`, `OK`, `MUTED`, `ACCENT`...),
  so a panel shown on its own in a notebook has the same colours.

Importing this module imports no Gradio and no ipywidgets.
"""

from __future__ import annotations

COLOURS = {
    "accent": "#08519c",  # headings, primary buttons, chart lines
    "accent_soft": "#c6dbef",
    "ok": "#1b5e20",
    "error": "#b00020",
    "muted": "#555555",
    "surface": "#f7f9fc",
}
ACCENT, ACCENT_SOFT, OK, ERROR, MUTED = (COLOURS[k] for k in ("accent", "accent_soft", "ok", "error", "muted"))
TEXT = "#333333"  # body text of status lines
SPACING = "12px"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"

CSS = f"""
.studio-app {{ font-family: {FONT}; }}
.studio-app h1, .studio-app h2, .studio-app h3, .studio-app h4 {{ color: {COLOURS['accent']}; margin: 0 0 {SPACING} 0; }}
.studio-app h4 {{ margin-top: {SPACING}; }}
.studio-note {{ color: {COLOURS['muted']}; }}
.studio-ok {{ color: {COLOURS['ok']}; }}
.studio-error {{ color: {COLOURS['error']}; }}
.studio-empty {{ color: {COLOURS['muted']}; padding: {SPACING}; background: {COLOURS['surface']};
                border-radius: 6px; }}
.studio-card {{ padding: {SPACING}; background: {COLOURS['surface']}; border-radius: 6px; }}
.studio-previews {{ display: flex; flex-wrap: wrap; gap: {SPACING}; }}
.studio-preview {{ margin: 0; width: 200px; font-size: 12px; color: {COLOURS['muted']}; }}
.studio-preview img {{ width: 200px; height: 200px; object-fit: contain; background: {COLOURS['surface']};
                      border-radius: 6px; }}
"""

# The dashboards' page (Voila): the notebook's own title in the same heading colour, panels spaced alike.
DASHBOARD_CSS = f"""
body {{ font-family: {FONT}; }}
.jp-RenderedMarkdown h1, .jp-RenderedMarkdown h2 {{ color: {COLOURS['accent']}; font-family: {FONT}; }}
.studio-app .widget-tab > .widget-tab-contents, .studio-app .lm-TabPanel-stackedPanel {{ padding: {SPACING}; }}
.studio-app > .widget-vbox, .studio-app .widget-vbox > .widget-html {{ margin-bottom: 4px; }}
"""


def gradio_theme():
    """A Gradio theme in the same colours (imported only where Gradio is)."""
    import gradio as gr

    return gr.themes.Base(primary_hue=gr.themes.colors.blue, neutral_hue=gr.themes.colors.slate,
                          font=[FONT]).set(button_primary_background_fill=COLOURS["accent"],
                                           button_primary_text_color="#ffffff",
                                           block_title_text_color=COLOURS["accent"])
