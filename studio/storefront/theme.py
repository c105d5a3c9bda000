"""The apps' small theme: colours, spacing and headings, declared once.

The dashboards' panels already use these colours inline (errors #b00020, success #1b5e20, the
blue of the charts #08519c); the storefront takes them from here, and a panel may too
(`from studio.storefront.theme import COLOURS, CSS` imports no Gradio).
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
SPACING = "12px"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"

CSS = f"""
.studio-app h1, .studio-app h2, .studio-app h3 {{ color: {COLOURS['accent']}; margin: 0 0 {SPACING} 0; }}
.studio-note {{ color: {COLOURS['muted']}; }}
.studio-ok {{ color: {COLOURS['ok']}; }}
.studio-error {{ color: {COLOURS['error']}; }}
.studio-empty {{ color: {COLOURS['muted']}; padding: {SPACING}; background: {COLOURS['surface']};
                border-radius: 6px; }}
.studio-card {{ padding: {SPACING}; background: {COLOURS['surface']}; border-radius: 6px; }}
"""


def gradio_theme():
    """A Gradio theme in the same colours (imported only where Gradio is)."""
    import gradio as gr

    return gr.themes.Base(primary_hue=gr.themes.colors.blue, neutral_hue=gr.themes.colors.slate,
                          font=[FONT]).set(button_primary_background_fill=COLOURS["accent"],
                                           button_primary_text_color="#ffffff",
                                           block_title_text_color=COLOURS["accent"])
