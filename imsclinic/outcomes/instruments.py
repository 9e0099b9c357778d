"""Which outcome instruments a clinic can use: the knowledge base's free ones plus its own.

Shipped instruments come from `imsclinic.knowledge` (wording, ranges, direction, MCID and their
sources live there, never here). Licensed ones (ODI, NDI, QuickDASH ...) are `ClinicInstrument`
rows the clinic uploaded as FHIR Questionnaire JSON.
"""

from dataclasses import dataclass

from imsclinic.knowledge import Instrument, load_knowledge


class UnknownInstrument(LookupError):
    """No instrument with this id is available to the clinic."""


@dataclass(frozen=True)
class InstrumentChoice:
    id: str
    name: str
    abbreviation: str
    clinic_supplied: bool


def get_instrument(clinic, instrument_id: str) -> Instrument:
    """The Instrument named `instrument_id` for `clinic`, or UnknownInstrument."""
    kb = load_knowledge()
    if instrument_id in kb.instruments:
        return kb.instruments[instrument_id]
    from imsclinic.outcomes.models import ClinicInstrument

    row = ClinicInstrument.objects.filter(
        clinic=clinic, instrument_id=instrument_id, is_active=True
    ).first()
    if row is None:
        raise UnknownInstrument(f"No outcome instrument {instrument_id!r} at this clinic.")
    try:
        return row.to_instrument()
    except ValueError as exc:  # validated on upload; a later knowledge change could break it
        raise UnknownInstrument(
            f"The clinic's instrument {instrument_id!r} is invalid: {exc}"
        ) from None


def instrument_lookup(clinic) -> dict[str, Instrument]:
    """Every instrument usable at `clinic`, by id (one query for the clinic's own)."""
    from imsclinic.outcomes.models import ClinicInstrument

    found = dict(load_knowledge().instruments)
    for row in ClinicInstrument.objects.filter(clinic=clinic, is_active=True):
        try:
            found.setdefault(row.instrument_id, row.to_instrument())
        except ValueError:
            continue
    return found


def available_instruments(clinic) -> list[InstrumentChoice]:
    return [
        InstrumentChoice(inst.id, inst.name, inst.abbreviation, inst.licence == "clinic_supplied")
        for inst in instrument_lookup(clinic).values()
    ]


def has_mcid(instrument: Instrument) -> bool:
    return instrument.mcid is not None


def mcid_band(instrument: Instrument, baseline: float) -> tuple[float, float]:
    """The score interval that is NOT a meaningful change from `baseline` (for shading).

    Outside it in the better direction is a meaningful improvement; clipped to the range.
    """
    low, high = instrument.range
    mcid = instrument.mcid or 0
    return max(low, baseline - mcid), min(high, baseline + mcid)
