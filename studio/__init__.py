"""studio: personal AI creation models for creative freelancers.

    import studio
    s = studio.open()            # ./.studio, or $STUDIO_HOME; initialised on first use
    s.add_creator("ada", "Ada Lovelace", level="level2")
    s.add_to_portfolio("ada", ["work/"], consent="own")

Heavy libraries (torch, diffusers, gradio) are imported only where used.
"""

from studio.errors import StudioError
from studio.home import ItemView, Studio, open

__version__ = "0.1.0"
__all__ = ["Studio", "StudioError", "ItemView", "open", "__version__"]
