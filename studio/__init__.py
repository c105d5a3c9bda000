"""studio: personal AI creation models for creative freelancers.

    import studio
    st = studio.open()           # ./.studio, or $STUDIO_HOME; initialised on first use
    st.add_creator("ada", "Ada Lovelace", level="level2")
    st.add_to_portfolio("ada", ["work/"], consent="own")

`import studio` is light: the database layer loads on first use, and heavy libraries
(torch, diffusers, gradio) only where a model is trained or run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio.errors import StudioError

if TYPE_CHECKING:
    from studio.home import ItemView, Studio

__version__ = "0.1.0"
__all__ = ["Studio", "StudioError", "ItemView", "open", "__version__"]


def open(home=None, db_url=None, policy=None) -> "Studio":  # noqa: A001
    """Open (and on first use initialise) the studio home: `STUDIO_HOME` or ./.studio by default."""
    from studio.config import DEFAULT_POLICY
    from studio.home import Studio

    return Studio(home, db_url, policy or DEFAULT_POLICY)


def __getattr__(name: str):
    if name in ("Studio", "ItemView"):
        from studio import home

        return getattr(home, name)
    raise AttributeError(f"module 'studio' has no attribute {name!r}")
