"""`python -m studio.storefront`: serve the storefront on one port until stopped (SIGTERM, SIGINT)."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from studio.serve import DEFAULT_HOST, STOREFRONT_PORT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m studio.storefront", description=__doc__)
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=STOREFRONT_PORT)
    parser.add_argument("--home", type=Path, default=None, help="studio home (default $STUDIO_HOME or ./.studio)")
    args = parser.parse_args(argv)

    import studio
    from studio.errors import StudioError

    try:
        st = studio.open(args.home)
    except StudioError as exc:
        print(f"storefront: error: {exc}", file=sys.stderr)
        return 1
    # A folder of this process's own, readable by its owner only and removed when it stops: a buyer's
    # files pass through a sub-folder of it that is removed when the request is done (`files.Outbox`),
    # and Gradio's cache (the previews and samples it shows) lives in it.
    outbox = Path(tempfile.mkdtemp(prefix="studio-storefront-"))
    os.environ["GRADIO_TEMP_DIR"] = str(outbox / "gradio")
    from studio.storefront.app import launch

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # SIGTERM: unwind, so the folder is removed
    try:
        launch(st, args.host, args.port, outbox)
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"storefront: cannot serve on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(outbox, ignore_errors=True)
        st.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
