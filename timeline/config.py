"""The detectors' settings in one place, with the reasons for their defaults.

Defaults were set on the demo corpus (whose rules were visible while the
detectors were built); the held-out set in ``timeline/heldout`` was written
afterwards and never used to change them (see docs/timeline.md).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DetectorConfig:
    #: contradiction: both positions must fall within this many days of each other
    contradiction_window_days: int = 400
    #: reversal: how far apart the first position and its reversal may be
    reversal_window_days: int = 365 * 6
    #: reannouncement: amounts within this fraction of each other are "the same money"
    money_tolerance: float = 0.02
    #: reannouncement: a repeat on the same day is one announcement made in two places
    reannouncement_min_days: int = 2
    reannouncement_window_days: int = 365 * 4
    #: reactive: a trigger at most this many days before the document
    reactive_days: int = 14
    #: reactive: the probability (classifier, or coherence fallback) a document needs
    reactive_threshold: float = 0.6
    #: reactive: sector/parliament documents on the theme within the window that make a spike
    coverage_spike_min: int = 2
    coverage_days: int = 10
    #: burst: window length, baseline length, and the Poisson tail probability to beat
    burst_window_days: int = 14
    burst_baseline_days: int = 365
    burst_alpha: float = 0.001
    burst_min_documents: int = 4
    burst_min_days: int = 3
    #: a signal below this score is not shown
    min_score: float = 0.5


DEFAULT = DetectorConfig()
