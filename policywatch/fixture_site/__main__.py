"""``python -m policywatch.fixture_site``: serve the demo corpus until Ctrl-C.

For the offline demo and for poking at the fixture site by hand; tests start
``FixtureSite`` in-process instead.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from datetime import UTC, datetime, time
from pathlib import Path

from policywatch.fixture_site.corpus import check_corpus, load_corpus, to_datetime
from policywatch.fixture_site.server import FixtureSite


def parse_as_of(value: str) -> datetime:
    """A bare date means the end of that day: "as of 2020-01-01" includes that day."""
    if len(value.strip()) == 10:
        day = datetime.fromisoformat(value.strip()).date()
        return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)
    return to_datetime(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m policywatch.fixture_site",
        description="Serve the PolicyWatch demo corpus as GOV.UK and sector sites.",
        epilog="example: python -m policywatch.fixture_site --port 8765 --as-of 2021-06-30",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument(
        "--as-of",
        type=parse_as_of,
        default=None,
        help="replay the web as it stood then (YYYY-MM-DD or ISO timestamp)",
    )
    parser.add_argument("--corpus", type=Path, default=None, help="corpus folder")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    corpus = load_corpus(args.corpus)
    for error in check_corpus(corpus):
        logging.getLogger(__name__).warning("corpus: %s", error)
    site = FixtureSite(corpus, host=args.host, port=args.port, as_of=args.as_of)
    base_url = site.start()
    sys.stdout.write(f"PolicyWatch fixture site: {base_url}  (Ctrl-C to stop)\n")
    sys.stdout.flush()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        site.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
