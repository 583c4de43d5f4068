"""Out-of-fold clustering quality of resolve: the hand weights against the learned ones.

Mentions are made from the gold annotations (as in ``resolve_dev_gold.py``), folds are grouped
by occurrence (``same_event``; an untagged document is its own occurrence). For each fold the
weights are fitted and the join threshold chosen on the other folds alone (inner folds), then
the fold is resolved and scored; the hand weights of ``resolve.json`` are scored on the same
folds. Nothing is written.

    python benchmarks/resolve_learned_oof.py --data ../shared/data/train.jsonl [--cv 5 3 10]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from dissentwatch.evaluate.clusters import gold_path_for
from dissentwatch.resolve.learn import labelled_mentions, out_of_fold


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path(__file__).parents[2] / "shared/data/train.jsonl")
    parser.add_argument("--cv", type=int, nargs="+", default=[5], help="numbers of folds")
    args = parser.parse_args()
    mentions, occurrence, items = labelled_mentions(args.data, gold_path_for(args.data))
    print(f"{args.data.name}: {len(items)} documents with gold events, {len(mentions)} mentions, "
          f"{len({occurrence[i] for i in items})} occurrences")
    print(f"{'folds':>5} {'weights':8} {'pair P':>7} {'pair R':>7} {'pair F1':>7} {'tp/fp/fn':>10} "
          f"{'B3 P':>6} {'B3 R':>6} {'B3 F1':>6}")
    for k in args.cv:
        started = time.perf_counter()
        oof = out_of_fold(mentions, items, occurrence, k)
        for name in ("hand", "learned"):
            pw, b3 = oof[name]["pairwise"], oof[name]["bcubed"]
            print(f"{k:>5} {name:8} {pw['precision']:7.3f} {pw['recall']:7.3f} {pw['f1']:7.3f} "
                  f"{pw['tp']:>3}/{pw['fp']}/{pw['fn']:<4} {b3['precision']:6.3f} {b3['recall']:6.3f} {b3['f1']:6.3f}")
        print(f"      (c, threshold) chosen per fold: {oof['chosen_c_and_probability']}  "
              f"[{time.perf_counter() - started:.1f}s]")


if __name__ == "__main__":
    main()
