"""The procedures this product runs: an explicit list, no autodiscovery."""

from __future__ import annotations

from engine.spec import Procedure
from workflows.annual_assessment import ANNUAL_ASSESSMENT
from workflows.assessment_rehiring import ASSESSMENT_REHIRING
from workflows.dismissal import DISMISSAL
from workflows.exam_hiring import EXAM_CANDIDATE, EXAM_RECRUITMENT
from workflows.resignation import RESIGNATION

ALL_PROCEDURES: tuple[Procedure, ...] = (RESIGNATION, ASSESSMENT_REHIRING, DISMISSAL, EXAM_RECRUITMENT,
                                         EXAM_CANDIDATE, ANNUAL_ASSESSMENT)


def registry() -> dict[str, Procedure]:
    """Every procedure by code, validated (a bad declaration fails here, at load time)."""
    from engine.validate import validate

    for proc in ALL_PROCEDURES:
        validate(proc)
    return {p.code: p for p in ALL_PROCEDURES}
