"""An in-process simulated AWS account (moto) with the parts of IAM that moto lacks.

Used by the demo account and the self-tests; never by a live audit.
"""

from iam_compliance.simulated.moto_account.builder import Key, MotoAccount, Root
from iam_compliance.simulated.moto_account.gaps import moto_gaps

__all__ = ["Key", "MotoAccount", "Root", "moto_gaps"]
