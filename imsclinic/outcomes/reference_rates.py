"""Published adverse-event rates for dry needling, shown beside a clinic's own rates.

Figures from the project's clinical research notes (shared/research/clinical.md, section 3.2),
as rates per 1,000 treatments (percent x 10). Each row names the study it comes from; a figure
the study did not report is absent, never guessed.

- Brady S, McEvoy J, Dommerholt J, Doody C. Adverse events following trigger point dry needling:
  a prospective survey of chartered physiotherapists. J Man Manip Ther 2014;22(3):134-40.
  7,629 treatments; mild AEs 19.18 %; no significant AEs (upper risk estimate <= 0.04 %).
- Boyce D, Wempe H, Campbell C, et al. Adverse events associated with therapeutic dry needling.
  Int J Sports Phys Ther 2020;15(1):103-113. 20,464 treatments; minor AEs 36.7 %; 20 major AEs
  (< 0.1 %, about 1 per 1,024 treatments).

Mapping to this app's kinds: Brady's "pain after treatment" is the closest published figure to
our "severe post-needling soreness", which is narrower, so the reference overstates it; Brady's
"mild" and Boyce's "minor" correspond to our "mild" severity, and their "significant"/"major" to
our "significant" + "serious".
"""

BRADY_2014 = "Brady 2014 (J Man Manip Ther 22:134-40; 7,629 treatments)"
BOYCE_2020 = "Boyce 2020 (Int J Sports Phys Ther 15:103-113; 20,464 treatments)"

# kind -> [(study, rate per 1,000 treatments, note)]
BY_KIND: dict[str, list[tuple[str, float, str]]] = {
    "bruising": [(BRADY_2014, 75.5, "7.55 %"), (BOYCE_2020, 77.0, "7.7 %")],
    "bleeding": [(BRADY_2014, 46.5, "4.65 %"), (BOYCE_2020, 160.0, "16 %")],
    "soreness_severe": [(BRADY_2014, 21.9, "pain after treatment, 2.19 % (broader category)")],
}

# severity -> [(study, rate per 1,000 treatments, note)]
BY_SEVERITY: dict[str, list[tuple[str, float, str]]] = {
    "mild": [(BRADY_2014, 191.8, "mild AEs 19.18 %"), (BOYCE_2020, 367.0, "minor AEs 36.7 %")],
    "significant_or_serious": [
        (BRADY_2014, 0.4, "none observed; upper risk estimate <= 0.04 %"),
        (BOYCE_2020, 0.98, "20 major AEs, < 0.1 % (about 1 per 1,024)"),
    ],
}


def references_for_kind(kind: str) -> list[tuple[str, float, str]]:
    return BY_KIND.get(kind, [])


def references_for_severity(severity: str) -> list[tuple[str, float, str]]:
    key = "mild" if severity == "mild" else "significant_or_serious"
    return BY_SEVERITY[key]
