"""Foundation figures: `import studio` time and portfolio intake throughput."""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import studio
from studio import samples


def import_time(runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import studio"], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def intake_rate(images: int = 96) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "work"
        samples.write_portfolio(folder, samples.SAMPLE_CREATORS[2], seed=1, images=images)
        st = studio.open(Path(tmp) / "home")
        st.add_creator("bench", "Bench", "level2")
        start = time.perf_counter()
        report = st.add_to_portfolio("bench", [folder])
        elapsed = time.perf_counter() - start
        assert report.ok and len(report.added) == images
        st.close()
    return images / elapsed


if __name__ == "__main__":
    print(f"import studio (median of 7 fresh interpreters, incl. interpreter start): {import_time():.3f} s  [target < 1 s]")
    print(f"portfolio intake, validate + store + consent + ledger event: {intake_rate():.0f} images/s")
