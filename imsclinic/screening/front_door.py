"""The clinic's public page text: what IMS is and what to expect, with defaults.

The defaults are written for this app in plain language, drawing on the public pages clinics
publish about IMS (the team's seeds in /work/shared/seeds: Balance Physiotherapy, MOMENTUM
Physical Therapy and others) and on Dr. C. Chan Gunn's description of the method. A clinic admin
replaces them at /clinics/<slug>/edit/. The aftercare shown on the page is the clinic's aftercare
instruction (scheduling.instructions), which clinic admins edit with the other patient
instructions.
"""

from imsclinic.screening.models import ClinicPage

DEFAULT_ABOUT_IMS = (
    "Intramuscular stimulation (IMS) is a needling treatment for chronic pain developed in "
    "Canada by Dr. C. Chan Gunn.\n"
    "It treats pain that comes from irritated, over-sensitive nerves (neuropathic pain), which "
    "often shows no sign of injury or inflammation on scans or tests.\n"
    "Such nerves make their muscles tight and tender. A fine, sterile, single-use needle (the "
    "size used in acupuncture) is placed into those tight bands to release them, and no "
    "medication is injected.\n"
    "Unlike acupuncture, where to needle is decided by a physical examination of your nerves "
    "and muscles, not by meridians."
)

DEFAULT_WHAT_TO_EXPECT = (
    "Your first visit is an assessment: the practitioner asks about your pain and health, "
    "examines you, and tells you whether IMS suits you before any needling.\n"
    "During treatment a muscle that is shortened often grips the needle or twitches, then "
    "relaxes. This can feel like a deep cramp or ache for a moment.\n"
    "Most people feel sore where they were needled for a day or two afterwards.\n"
    "Treatments are usually weekly; how many you need depends on how long you have had the pain "
    "and how well your body heals. Your practitioner reviews your progress at each visit."
)


def page_text(clinic) -> dict[str, str]:
    """The page's editable text: the clinic's own, or the defaults."""
    page = ClinicPage.objects.filter(clinic=clinic).first()
    return {
        "about_ims": page.about_ims if page else DEFAULT_ABOUT_IMS,
        "what_to_expect": page.what_to_expect if page else DEFAULT_WHAT_TO_EXPECT,
    }


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]
