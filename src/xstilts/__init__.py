"""xstilts: X-STILTs intermediate-task training and adversarial robustness of zero-shot PAWS-X transfer.

All logic lives in this package; `stages/*.py` are thin click entry points that DVC calls.
"""

__version__ = "0.1.0"
