"""What the shop's catalog costs the till's start, parsed and from its cache.

    .venv/bin/python -m tests.bench.bench_catalog [--items 2000] [--runs 15] [--json]

Writes a catalog.toml of `--items` items (code, name, price, barcode) in a
temporary data folder and times `load_catalog` as the till's start calls it:
a first start (no cache: the TOML is parsed and the items kept in
catalog-cache.json) and a later one (the items from the cache,
`pos_app/resources/catalog_cache.py`). Medians in ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from pos_app.resources import CATALOG_FILE_NAME, load_catalog
from pos_app.resources.catalog_cache import CACHE_FILE_NAME


def catalog_toml(items: int) -> str:
    """A shop's catalog of `items` items, as a shop writes it."""
    return "\n".join(
        f'[[item]]\ncode = "sku{n:05d}"\nname = "Item number {n}"\n'
        f'price = "{n % 50 + 1}.99"\nbarcode = "2{n:012d}"\n'
        for n in range(items)
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    first, later = [], []
    with tempfile.TemporaryDirectory(prefix="pos-app-bench-catalog-") as temp:
        data = Path(temp)
        (data / CATALOG_FILE_NAME).write_text(catalog_toml(args.items), encoding="utf-8")
        for _ in range(args.runs):
            (data / CACHE_FILE_NAME).unlink(missing_ok=True)
            started = time.perf_counter()
            parsed = load_catalog(data)
            first.append(time.perf_counter() - started)
            started = time.perf_counter()
            cached = load_catalog(data)
            later.append(time.perf_counter() - started)
            assert cached.items == parsed.items
            assert len(cached) == args.items
    figures = {
        "items": args.items,
        "first_start_ms": round(1000 * statistics.median(first), 1),
        "later_start_ms": round(1000 * statistics.median(later), 1),
    }
    if args.json:
        print(json.dumps(figures))
        return 0
    print(f"loading a catalog of {args.items:,} items, median of {args.runs}:")
    print(f"  a first start (parsed, then kept)  {figures['first_start_ms']:7.1f} ms")
    print(f"  a later start (from its cache)     {figures['later_start_ms']:7.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
