"""From a verdict to a named culprit: rank the PRs between the builds; bisect when that is not sure.

The ranking decides alone only when its top candidate is clearly ahead (bot/attribution/rank.py,
`is_decisive`); otherwise the bisection over the same commits decides, and until it has, the
attribution says so and lists the ranking as it stands.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.analysis.verdict import Verdict
from bot.attribution.bisect import FOUND, Bisection
from bot.attribution.rank import Components, is_decisive, rank
from bot.model import CHANGE_KINDS, Attribution, PullRequest

ATTRIBUTABLE = CHANGE_KINDS  # every change is attributed; no-change and inconclusive are not


def commits_of(base_commit: str, pulls: Sequence[PullRequest], head_commit: str) -> list[str]:
    """The commits a bisection walks: the baseline's, then each landed PR's, ending at the head."""
    commits = [base_commit, *(p.merge_commit for p in pulls if p.merge_commit)]
    if commits[-1] != head_commit:
        commits.append(head_commit)
    return commits


def attribute(
    verdict: Verdict,
    pulls: Sequence[PullRequest],
    bisection: Bisection | None = None,
    components: Components | None = None,
) -> Attribution:
    """Name the culprit if the evidence allows: a decisive ranking, or a finished bisection."""
    if verdict.kind not in ATTRIBUTABLE:
        raise ValueError(f"a {verdict.kind} verdict has nothing to attribute")
    ranked = tuple(rank(pulls, verdict.config, verdict.kind, components))
    culprit, decided_by = None, "undecided"
    if bisection is not None and bisection.status == FOUND:
        found = bisection.culprit
        culprit = next((p for p in pulls if p.merge_commit == found), None)
        decided_by = "bisection"
    elif ranked and is_decisive(ranked, components):
        culprit, decided_by = ranked[0].pull, "ranking"
    return Attribution(
        config=verdict.config,
        baseline=verdict.baseline,
        candidate=verdict.candidate,
        change=verdict.kind,
        summary=verdict.reason,
        candidates=ranked,
        culprit=culprit,
        decided_by=decided_by,
        runs_used=bisection.runs if bisection else 0,
    )
