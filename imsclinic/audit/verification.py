"""Everything `imsclinic audit verify` checks, for any database alias (restore checks a new one).

1. Every chain of both logs: sequence without gaps, links, and each row's seal under the key.
2. The chains still reach the anchored heads (no cut-off tail, no rewrite since anchoring).
3. Every signed record still has the content whose hash its signing event recorded.
"""

from dataclasses import dataclass, field

from imsclinic.audit import anchor, chain, signed_content


@dataclass
class Verification:
    chains: list = field(default_factory=list)  # chain.ChainReport
    anchor_problems: list[str] = field(default_factory=list)
    signed_problems: list[str] = field(default_factory=list)
    anchored: bool = False  # an anchor existed to compare with

    @property
    def ok(self) -> bool:
        return (
            all(r.ok for r in self.chains)
            and not self.anchor_problems
            and not (self.signed_problems)
        )

    @property
    def heads(self) -> dict:
        return {r.key: {"seq": r.last_seq, "hash": r.last_hash} for r in self.chains}

    def problems(self) -> list[str]:
        found = [f"{r.label}: {p}" for r in self.chains for p in r.problems]
        return found + self.anchor_problems + self.signed_problems


def verify_all(*, using: str = "default", anchored=None, key=None) -> Verification:
    """Check the database at `using`. `anchored` is the heads to compare with: None reads the
    anchor file for that database; {} compares with nothing."""
    from imsclinic.audit.models import AuditEvent, ChartAccess

    result = Verification()
    for model in (AuditEvent, ChartAccess):
        result.chains += chain.verify(model, using=using, key=key)
    if anchored is None:
        try:
            anchored = anchor.read(using=using, key=key)
        except anchor.AnchorError as exc:
            result.anchor_problems.append(str(exc))
            anchored = {}
    result.anchored = anchored is not None
    result.anchor_problems += anchor.problems_against(anchored or {}, using=using)
    result.signed_problems = signed_content.problems(using=using)
    return result
