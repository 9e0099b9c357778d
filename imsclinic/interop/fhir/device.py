"""Device: the needles of one lot used in a session (lot number, gauge, length)."""

from imsclinic.interop.fhir.common import UCUM, build, ref


def needle_key(row) -> tuple[str, str, str]:
    length = f"{row.needle_length_mm:g}" if row.needle_length_mm is not None else ""
    return (row.lot_number.strip(), row.needle_gauge.strip(), length)


def session_needle_keys(rows) -> list[tuple[str, str, str]]:
    """Distinct needle kinds of a session's rows, in order of first use (empty rows skipped)."""
    keys: list[tuple[str, str, str]] = []
    for row in rows:
        key = needle_key(row)
        if any(key) and key not in keys:
            keys.append(key)
    return keys


def device_id(session, index: int) -> str:
    return f"{session.uuid}-d{index}"


def needle_device(session, index: int, key: tuple[str, str, str]):
    lot, gauge, length = key
    name = "Sterile single-use needle" + (f" {gauge}" if gauge else "")
    name += f" × {length} mm" if length else ""
    properties = []
    if gauge:
        properties.append({"type": {"text": "Gauge"}, "valueCode": [{"text": gauge}]})
    if length:
        properties.append(
            {
                "type": {"text": "Length"},
                "valueQuantity": [
                    {"value": float(length), "unit": "mm", "system": UCUM, "code": "mm"}
                ],
            }
        )
    return build(
        "Device",
        {
            "id": device_id(session, index),
            "status": "inactive",  # single-use: discarded into sharps after the session
            "lotNumber": lot,
            "deviceName": [{"name": name, "type": "user-friendly-name"}],
            "type": {"text": "Filament (acupuncture-type) needle for IMS / dry needling"},
            "property": properties,
            "patient": ref("Patient", session.patient.uuid),
            "owner": ref("Organization", session.clinic.uuid),
        },
    )
