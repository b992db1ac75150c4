"""Exceptions and warnings of iej_impact.

Every error message follows one template: *what* went wrong, *where* (file, column, config key,
example row ids), the offending *value*, and the *fix*. Errors are ``ValueError`` or
``RuntimeError`` subclasses so generic handlers keep working.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "IejImpactError",
    "DataError",
    "UnknownCodeError",
    "DateOrderError",
    "DuplicateParticipationError",
    "ContaminationError",
    "PanelStructureError",
    "ParseError",
    "CostDenominatorError",
    "ScaleError",
    "SpecificationError",
    "EstimationError",
    "ConfigError",
    "ConfigErrors",
    "IejImpactWarning",
    "OverlapWarning",
    "ImbalanceWarning",
    "MissingDataWarning",
    "SmallSampleWarning",
    "EligibilityWarning",
    "TieWarning",
    "DuplicateIdWarning",
]


class IejImpactError(Exception):
    """Base class of every error raised on purpose by iej_impact."""


class DataError(IejImpactError, ValueError):
    """The data are not what the analysis needs (missing column, wrong type, bad rows...).

    Attributes
    ----------
    column : name of the offending column, if any.
    rows : a few example row identifiers (ids or row labels), if any.
    source : the file (or table name) the rows came from, if known.
    """

    def __init__(
        self,
        message: str,
        *,
        column: str | None = None,
        rows: Sequence[object] = (),
        source: str | None = None,
    ) -> None:
        self.column = column
        self.rows = tuple(rows)
        self.source = source
        prefix = f"{source}: " if source and not message.startswith(str(source)) else ""
        super().__init__(prefix + message)


class UnknownCodeError(DataError):
    """A categorical column holds values that are not in its code list (and not mapped)."""


class DateOrderError(DataError):
    """Dates out of order (exit before entry, outcome before exit...)."""


class DuplicateParticipationError(DataError):
    """The same (person, operation) appears more than once."""


class ContaminationError(DataError):
    """A comparison person also appears among participants (or was treated during follow-up)."""


class PanelStructureError(DataError):
    """A person x period panel breaks the structure a panel estimator needs."""


class ParseError(DataError):
    """A value could not be parsed with the declared format (French numbers, dates...)."""


class CostDenominatorError(DataError):
    """A cost per participant cannot be computed: target missing ("nc") or zero, or amount unusable."""


class ScaleError(DataError):
    """A share is on the wrong scale (e.g. 56.4 given where the fraction 0.564 is expected)."""


class SpecificationError(IejImpactError, ValueError):
    """An argument of a public function is not allowed (unknown option, wrong type...)."""


class EstimationError(IejImpactError, RuntimeError):
    """The estimation could not be carried out on these data (no overlap, singular model...)."""


class ConfigError(IejImpactError, ValueError):
    """The YAML configuration is wrong; the message starts with the YAML location."""

    def __init__(self, message: str, *, location: str | None = None) -> None:
        self.location = location
        super().__init__(f"{location}: {message}" if location else message)


class ConfigErrors(ConfigError):
    """Several analyses of the configuration are wrong: every one is listed, each with its YAML location.

    ``errors`` holds the individual :class:`ConfigError`; ``location`` is the first one's.
    """

    def __init__(self, errors: list[ConfigError]) -> None:
        self.errors = list(errors)
        lines = "\n".join(f"  - {err}" for err in self.errors)
        super().__init__(f"{len(self.errors)} problems in the analyses:\n{lines}")
        self.location = self.errors[0].location


class IejImpactWarning(UserWarning):
    """Base class of iej_impact warnings (filter them with this class)."""


class OverlapWarning(IejImpactWarning):
    """Poor overlap of the propensity score between arms."""


class ImbalanceWarning(IejImpactWarning):
    """Covariates remain imbalanced after adjustment."""


class MissingDataWarning(IejImpactWarning):
    """Rows were dropped or values are missing."""


class SmallSampleWarning(IejImpactWarning):
    """Too few units for the asymptotics behind the inference."""


class EligibilityWarning(IejImpactWarning):
    """Participants outside the programme's eligibility rules."""


class TieWarning(IejImpactWarning):
    """Matches were chosen among units tied on the distance by a rule (data order), not by the data."""


class DuplicateIdWarning(IejImpactWarning):
    """The column naming rows in the exclusion table holds the same value on several rows."""
