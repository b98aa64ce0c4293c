"""Training versions and the two families a project is locked to (the seed's rules).

A project is locked to a family by its own `training_version`, or by its first
dataset's when it had none. FIBO is `fibo` alone; the Legacy versions (`max`,
`light`, `3.2`, `2.3`) are interchangeable within a project; the families never
mix. The create-project form, the dataset form, the sandbox and the pages all
read these rules from here.
"""

from __future__ import annotations

from dataclasses import dataclass

FIBO = "FIBO"
LEGACY = "Legacy"
TRAINING_FAMILIES: tuple[str, ...] = (FIBO, LEGACY)


@dataclass(frozen=True)
class TrainingVersion:
    value: str
    label: str
    family: str


TRAINING_VERSIONS: tuple[TrainingVersion, ...] = (
    TrainingVersion("fibo", "FIBO", FIBO),
    TrainingVersion("max", "Max", LEGACY),
    TrainingVersion("light", "Light", LEGACY),
    TrainingVersion("3.2", "3.2", LEGACY),
    TrainingVersion("2.3", "2.3", LEGACY),
)
TRAINING_VERSIONS_BY_VALUE: dict[str, TrainingVersion] = {v.value: v for v in TRAINING_VERSIONS}


def versions_in_family(family: str) -> tuple[TrainingVersion, ...]:
    return tuple(v for v in TRAINING_VERSIONS if v.family == family)


def family_of(version: object) -> str | None:
    """The family of a known version; None for no version or one the app does not know."""
    known = TRAINING_VERSIONS_BY_VALUE.get(version) if isinstance(version, str) else None
    return known.family if known else None


def mixing_problem(locked_version: object, chosen: object) -> str | None:
    """Why `chosen` cannot be used in a project locked by `locked_version`, or None.

    An unlocked project (no version) takes any; a project locked to a family takes
    that family's versions only. The words name both families."""
    locked, wanted = family_of(locked_version), family_of(chosen)
    if locked is None or wanted is None or locked == wanted:
        return None
    return (
        f"This project is locked to the {locked} family, so a {wanted} version "
        f"({TRAINING_VERSIONS_BY_VALUE[str(chosen)].label}) cannot be used in it: choose "
        f"one of {', '.join(v.label for v in versions_in_family(locked))}"
    )
