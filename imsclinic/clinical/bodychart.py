"""The body chart: front and back views drawn as SVG from the knowledge body regions.

Each side-neutral area has a layout (distance of its inner edge from the midline, top, width,
height) in a 200 x 440 figure. The patient's right is on the viewer's left in the front view and
on the viewer's right in the back view. Regions are large enough to tap with a finger; the form
also lists every region with its own controls, so the chart works without JavaScript and with a
keyboard or screen reader.
"""

from dataclasses import dataclass

from imsclinic.knowledge import load_knowledge

PAIN_TYPES = [
    ("aching", "Aching"),
    ("burning", "Burning"),
    ("sharp", "Sharp"),
    ("tingling", "Pins and needles"),
    ("numb", "Numb"),
    ("stiff", "Stiff / tight"),
]
PAIN_TYPE_IDS = {key for key, _label in PAIN_TYPES}

# area id: (dx from midline, y, width, height)
LAYOUT = {
    # front
    "head_front": (0, 4, 26, 30),
    "face": (0, 34, 24, 26),
    "neck_front": (0, 62, 16, 20),
    "shoulder_front": (28, 84, 30, 26),
    "chest": (0, 84, 28, 52),
    "abdomen": (0, 138, 28, 58),
    "arm_front": (36, 112, 22, 58),
    "forearm_front": (42, 172, 20, 56),
    "hand_palm": (46, 230, 20, 32),
    "hip_front": (0, 198, 30, 30),
    "thigh_front": (4, 230, 28, 74),
    "knee_front": (6, 306, 24, 22),
    "leg_front": (6, 330, 22, 74),
    "foot_dorsum": (6, 406, 24, 26),
    # back
    "head_back": (0, 4, 26, 56),
    "neck_back": (0, 62, 16, 20),
    "shoulder_back": (26, 84, 32, 36),
    "upper_back": (0, 84, 26, 52),
    "mid_back": (0, 138, 26, 34),
    "low_back": (0, 174, 28, 30),
    "sacrum": (0, 206, 12, 22),
    "buttock": (14, 206, 22, 32),
    "arm_back": (36, 122, 22, 50),
    "forearm_back": (42, 174, 20, 54),
    "hand_back": (46, 230, 20, 32),
    "thigh_back": (4, 240, 28, 64),
    "knee_back": (6, 306, 24, 22),
    "calf": (6, 330, 22, 74),
    "foot_sole": (6, 406, 24, 26),
}
WIDTH, HEIGHT, CENTRE = 200, 440, 100


def region_name(area_label: str, side: str) -> str:
    """The accessible name of a sided region, side first as clinicians say it: "Right upper arm
    (front)"."""
    side_word = "Right" if side == "R" else "Left"
    return f"{side_word} {area_label[0].lower()}{area_label[1:]}"


# Gunn's signs located on body regions get one mark colour each (classes sign-colour-0..9 in
# clinical.css), so several signs on one region stay distinguishable.
SIGN_COLOURS = 10


@dataclass(frozen=True)
class ChartRegion:
    id: str
    label: str
    view: str
    side: str
    x: int
    y: int
    w: int
    h: int


def regions() -> list[ChartRegion]:
    """Every sided region with its rectangle, front view first."""
    kb = load_knowledge()
    found = []
    for sided in kb.body_regions.values():
        area = sided.area
        dx, y, w, h = LAYOUT.get(area.id, (60, 420, 16, 16))
        on_left = (area.view == "front") == (sided.side == "R")
        x = CENTRE - dx - w if on_left else CENTRE + dx
        found.append(
            ChartRegion(
                sided.id, region_name(area.label, sided.side), area.view, sided.side, x, y, w, h
            )
        )
    return sorted(found, key=lambda r: (r.view != "front", r.y, r.x))


def chart_views(marked: list[dict]) -> list[dict]:
    """Data for the template: per view, its regions with the marks recorded on them."""
    by_region = {mark["region"]: mark for mark in marked or []}
    views = []
    for view, title in (("front", "Front"), ("back", "Back")):
        items = []
        for region in regions():
            if region.view != view:
                continue
            items.append({"region": region, "mark": by_region.get(region.id)})
        views.append({"id": view, "title": title, "regions": items})
    return views


def clean_marks(raw: dict) -> tuple[list[dict], list[str]]:
    """Body-chart marks from POST data (`bc-<region>-type`, `bc-<region>-intensity`)."""
    known = {r.id: r for r in regions()}
    marks, errors = [], []
    for region_id, region in known.items():
        pain_type = (raw.get(f"bc-{region_id}-type") or "").strip()
        intensity = (raw.get(f"bc-{region_id}-intensity") or "").strip()
        if not pain_type and not intensity:
            continue
        if pain_type not in PAIN_TYPE_IDS:
            errors.append(f"{region.label}: choose the type of pain.")
            continue
        try:
            value = int(intensity)
        except ValueError:
            errors.append(f"{region.label}: intensity must be a whole number 0 to 10.")
            continue
        if not 0 <= value <= 10:
            errors.append(f"{region.label}: intensity must be 0 to 10.")
            continue
        marks.append(
            {"region": region_id, "side": region.side, "pain_type": pain_type, "intensity": value}
        )
    return marks, errors


def mark_rows(marks: list[dict]) -> list[dict]:
    """Marks as a person reads them, in chart order: region name, type of pain, intensity."""
    labels = dict(PAIN_TYPES)
    by_region = {mark["region"]: mark for mark in marks or []}
    return [
        {
            "label": region.label,
            "type": labels.get(by_region[region.id]["pain_type"], ""),
            "intensity": by_region[region.id]["intensity"],
        }
        for region in regions()
        if region.id in by_region
    ]
