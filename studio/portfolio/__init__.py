"""Portfolio intake (`intake`: validate files in memory, one reason per rejected file) and the
creator's portfolio with its consent records (`service`)."""

from studio.portfolio.intake import (Accepted, Candidate, Consent, IntakeReport, Rejection, collect, expand,
                                    validate)
from studio.portfolio.service import ItemView, Portfolio

__all__ = ["Accepted", "Candidate", "Consent", "IntakeReport", "ItemView", "Portfolio", "Rejection", "collect",
           "expand", "validate"]
