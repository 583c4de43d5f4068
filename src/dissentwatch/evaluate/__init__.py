"""Evaluation against a gold standard: metric helpers and the ``dissentwatch eval`` runner.

``metrics`` holds pure functions (P/R/F1, set F1, greedy matching, pairwise and B-cubed
clustering scores); ``run`` imports documents into a temporary store, analyzes them and
compares with gold. Other stages add their own scores with :func:`run.register_metric`.
"""

from dissentwatch.evaluate.metrics import PRF, bcubed, greedy_match, pairwise_prf, prf, set_counts

__all__ = ["PRF", "bcubed", "greedy_match", "pairwise_prf", "prf", "set_counts"]
