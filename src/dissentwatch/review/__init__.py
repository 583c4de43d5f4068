"""review: analysts' decisions on events and their audit trail (used by the web app and the CLI)."""

from dissentwatch.review.decisions import (
    EDITABLE_FIELDS,
    REVIEW_STATUSES,
    ReviewError,
    check_value,
    confirm,
    edit_field,
    history,
    merge,
    record_decision,
    reject,
    set_review_status,
    split,
)

__all__ = [
    "EDITABLE_FIELDS", "REVIEW_STATUSES", "ReviewError", "check_value", "confirm", "edit_field",
    "history", "merge", "record_decision", "reject", "set_review_status", "split",
]
