"""Optional contributions from clinical areas (Today panels, chart summary sections).

A contribution is a dotted path to a function. Areas that have not written theirs yet are skipped;
a contribution that exists but fails to import is a bug and raises.
"""

import importlib.util

from django.utils.module_loading import import_string


def collect(paths: list[str], *args) -> list[dict]:
    """Call each contributed function with `args`; keep the non-empty results in order."""
    results = []
    for dotted in paths:
        if importlib.util.find_spec(dotted.rsplit(".", 1)[0]) is None:
            continue
        result = import_string(dotted)(*args)
        if result:
            results.append(result)
    return results
