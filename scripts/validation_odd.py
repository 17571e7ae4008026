"""Rewrite the table of validation checks in docs/ODD.md (section 6.4) from the suite declared
in sim/validation/suite.py. Run `python scripts/validation_odd.py` after changing a check (a test
checks the document matches the suite).
"""

from __future__ import annotations

import sys
from pathlib import Path


def main() -> None:
    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root))
    from sim.validation.odd import update

    path = root / "docs" / "ODD.md"
    print(f"{path}: {'updated' if update(path) else 'already up to date'}")


if __name__ == "__main__":
    main()
