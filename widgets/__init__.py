"""The studio's presentation layer: ipywidgets panels (one module each) and the Gradio storefront.

Panels observe `studio` objects and call them; they hold no business state.
"""
