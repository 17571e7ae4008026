"""Rewrite the generated validation tables of the documents: the checks in docs/ODD.md (section
6.4, from sim/validation/suite.py) and the verdict table in docs/guide/validation.md (from the committed
results/validation/validation.json). Run `python scripts/validation_docs.py` after changing a
check or regenerating the report with `warnsim validate` (tests check both tables).
"""

from __future__ import annotations

import sys
from pathlib import Path


def main() -> None:
    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root))
    from sim.validation.odd import update_odd, update_readme

    odd, readme = root / "docs" / "ODD.md", root / "docs" / "guide" / "validation.md"
    print(f"{odd}: {'updated' if update_odd(odd) else 'already up to date'}")
    changed = update_readme(readme, root / "results" / "validation" / "validation.json")
    print(f"{readme}: {'updated' if changed else 'already up to date'}")


if __name__ == "__main__":
    main()
