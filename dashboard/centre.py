"""A centre's case log uploaded on the *Your centre* page -> its calibrated profile, or the problems.

Validation and fitting are the CLI's (``resectsim centre fit``): ``simulation.calibration.caselog``.
The profile is kept in the session; the Compare and Counselling pages then draw this centre's effect
instead of a centre like those published (``state.centre_profile``).
"""

from __future__ import annotations

from dataclasses import dataclass

from simulation import CentreProfile, ScenarioError
from simulation.calibration import caselog
from simulation.present.formats import centre_effect_line


@dataclass(frozen=True)
class Fitted:
    """The outcome of one upload: the profile and its lines in words, or the problems (one per line)."""

    profile: CentreProfile | None
    lines: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()


def fit_upload(data: bytes, file_name: str, centre: str, replications: int | None = None) -> Fitted:
    """Read, case-mix adjust and fit an uploaded case log exactly as the CLI does."""
    try:
        rows = caselog.read_caselog(file_name, data.decode("utf-8", errors="replace"))
        tau, label = caselog.centre_sds()
        predictions = caselog.predict(caselog.case_types(rows), replications=replications)
        profile = caselog.fit_centre(rows, predictions, centre or file_name.rsplit(".", 1)[0], tau, label)
    except ScenarioError as err:
        return Fitted(None, problems=tuple(str(err).splitlines()))
    lines = tuple(centre_effect_line(a, e.mean, e.sd, e.prior_sd, e.cases) for a, e in profile.effects.items())
    return Fitted(profile, lines)
