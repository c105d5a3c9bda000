"""Reading and checking purchase logs: one row per session with the price shown and whether the buyer bought.

The log: `price` (dollars) or `price_cents`, `bought` (0/1 or true/false), and optional covariates (numeric, or
categorical such as a buyer segment). The studio's own exposure log (`studio.pricing.studio_data`) and the
simulator's `Market.log` both produce this shape.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from studio.errors import StudioError


def read_log(path: Path | str):
    """Read a CSV purchase log (see module docstring)."""
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise StudioError(f"log file not found: {path}")
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise StudioError(f"the log {path} is empty: it needs 'price' and 'bought' columns") from None


def clean(frame, covariates) -> tuple[np.ndarray, np.ndarray, object]:
    import pandas as pd

    if frame is None or len(frame) == 0:
        raise StudioError("the log is empty: it needs one row per session with 'price' and 'bought'")
    cols = list(frame.columns)
    if "price" in cols:
        raw, scale, col = frame["price"], 1.0, "price"
    elif "price_cents" in cols:
        raw, scale, col = frame["price_cents"], 0.01, "price_cents"
    else:
        raise StudioError(f"the log has no 'price' (dollars) or 'price_cents' column (found: {', '.join(map(str, cols))})")
    if "bought" not in cols:
        raise StudioError(f"the log has no 'bought' column (found: {', '.join(map(str, cols))})")
    price = pd.to_numeric(raw, errors="coerce")
    bad = price.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise StudioError(f"row {i + 1}: {col} {raw.iloc[i]!r} is not a number")
    price = price.to_numpy(float) * scale
    if (price < 0).any():
        i = int(np.flatnonzero(price < 0)[0])
        raise StudioError(f"row {i + 1}: {col} {raw.iloc[i]} is negative; prices must be positive")
    if (price == 0).any():
        raise StudioError(f"{int((price == 0).sum())} sessions have price 0; free sessions say nothing about "
                          "willingness to pay: drop them from the log")
    b = frame["bought"]
    if b.dtype == object:
        b = b.astype(str).str.strip().str.lower().map({"1": 1, "0": 0, "true": 1, "false": 0, "yes": 1, "no": 0,
                                                       "1.0": 1, "0.0": 0})
    bought = pd.to_numeric(b, errors="coerce")
    if bought.isna().any() or not bought.isin([0, 1]).all():
        i = int(np.flatnonzero((bought.isna() | ~bought.isin([0, 1])).to_numpy())[0])
        v = frame["bought"].iloc[i]
        shown = repr(v) if isinstance(v, str) else v
        raise StudioError(f"row {i + 1}: bought {shown} must be 0/1 or true/false")
    bought = bought.to_numpy(float)
    if bought.sum() == 0:
        raise StudioError(f"the log has no purchases in {len(bought):,} sessions: demand cannot be estimated "
                          "(try lower prices or collect more sessions)")
    if bought.sum() == len(bought):
        raise StudioError(f"every one of the {len(bought):,} sessions bought: demand cannot be estimated "
                          "(try higher prices)")
    uniq = np.unique(price)
    if len(uniq) < 2:
        raise StudioError(f"every session saw the same price (${uniq[0]:g}): a demand curve needs randomised "
                          "prices (at least 2, better 5 or more)")
    X = None
    if covariates:
        missing = [c for c in covariates if c not in cols]
        if missing:
            raise StudioError(f"covariate(s) not in the log: {', '.join(missing)}")
        X = pd.get_dummies(frame[list(covariates)], drop_first=True, dtype=float)
        if X.isna().any().any():
            raise StudioError("covariates have missing values; fill or drop them first")
    return price, bought, X
