"""Sales tax rates per province, read from billing/data/tax_rates.yaml (which cites its sources).

Only lines with tax code "taxable" (products) are taxed; health care services are exempt.
"""

import functools
from decimal import Decimal
from pathlib import Path

import yaml

RATES_FILE = Path(__file__).with_name("data") / "tax_rates.yaml"


@functools.cache
def _table() -> dict[str, dict]:
    data = yaml.safe_load(RATES_FILE.read_text(encoding="utf-8"))
    return data["provinces"]


def rate_for(jurisdiction: str) -> Decimal:
    """The combined percentage (GST + PST, or HST) charged on taxable lines in `jurisdiction`."""
    row = _table().get(jurisdiction)
    if row is None:
        raise ValueError(
            f"No sales tax rates for {jurisdiction!r}; add them to {RATES_FILE.name} first."
        )
    return Decimal(row["gst"]) + Decimal(row["pst"]) + Decimal(row["hst"])


def label_for(jurisdiction: str) -> str:
    return _table()[jurisdiction]["label"]


def jurisdictions() -> list[str]:
    return sorted(_table())
