"""review: analysts' decisions on events and their audit trail (used by the web app and the CLI)."""

from dissentwatch.review.decisions import (
    EDITABLE_FIELDS,
    REVIEW_STATUSES,
    ReviewError,
    TypeChoiceNeeded,
    check_value,
    confirm,
    edit_field,
    history,
    merge,
    recompute,
    record_decision,
    reject,
    set_review_status,
    split,
)
from dissentwatch.review.undo import undo, undoable, unmerge, unsplit

__all__ = [
    "EDITABLE_FIELDS", "REVIEW_STATUSES", "ReviewError", "TypeChoiceNeeded", "check_value", "confirm",
    "edit_field", "history", "merge", "recompute", "record_decision", "reject", "set_review_status", "split",
    "undo", "undoable", "unmerge", "unsplit",
]
