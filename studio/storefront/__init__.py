"""The storefront: the buyers' app (Gradio), and the same actions as an API for `gradio_client`.

    python -m studio.storefront --port 7860          # or `studio serve storefront`, or `studio up`

- `catalogue`: what a buyer sees (models on offer, samples, their previews, purchases and edit
  jobs), read from the Studio's public calls; no screen.
- `api`: the named endpoints (`/list_models`, `/generate`, `/buy`, ...), each as the buyer the
  login names; `app`: the page over the same actions; `files`: the route that hands a buyer
  their purchased and edited files, to that buyer only (never through Gradio's shared file
  cache); `theme`: colours and CSS shared with the dashboards.

The core never imports this package; it imports the core (and Gradio, only here).
"""
