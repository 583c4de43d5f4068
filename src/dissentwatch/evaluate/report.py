"""The evaluation report as a text table."""

from __future__ import annotations

from typing import Any

from dissentwatch.cli._common import format_table


def _f(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else ("-" if value is None else str(value))


def format_report(report: dict[str, Any], show_errors: bool = False) -> str:
    """Relevance, types, fields, sets, evidence and the per-language breakdown."""
    rows = [{"score": "relevance", **_prf(report["relevance"])}]
    rows += [{"score": f"type {t}", **_prf(p)} for t, p in report["types"].items() if p["tp"] + p["fp"] + p["fn"]]
    rows.append({"score": "type micro", **_prf(report["type_micro"])})
    rows.append({"score": "type MACRO F1", "f1": _f(report["type_macro_f1"])})
    rows += [{"score": name, **_prf(report[name])} for name in ("home_regions", "grievances", "aggregates")]
    parts = [format_table(rows, ("score", "precision", "recall", "f1", "tp", "fp", "fn"), {"score": 32})]
    fields = [{"field": k, "accuracy": _f(v["accuracy"]), "correct": v["correct"], "n": v["n"]}
              for k, v in report["fields"].items()]
    parts.append(format_table(fields, ("field", "accuracy", "correct", "n"), {}))
    ev = report["evidence"]
    parts.append(f"evidence spans valid: {ev['valid']}/{ev['spans']} ({_f(ev['validity'])})")
    langs = [{"language": lang, "documents": s["documents"], "relevance_f1": _f(s["relevance"]["f1"]),
              "type_macro_f1": _f(s["type_macro_f1"]), "type_micro_f1": _f(s["type_micro"]["f1"])}
             for lang, s in report["by_language"].items()]
    parts.append(format_table(langs, ("language", "documents", "relevance_f1", "type_macro_f1", "type_micro_f1"), {}))
    for name, extra in report.get("extra", {}).items():
        parts.append(format_clusters(extra) if name == "clusters" else f"{name}: {extra}")
    if show_errors:
        parts.append(format_table(report["errors"], ("document", "error", "type"), {"document": 40}))
    return "\n\n".join(parts)


def _prf(p: dict[str, Any]) -> dict[str, Any]:
    return {"precision": _f(p["precision"]), "recall": _f(p["recall"]), "f1": _f(p["f1"]),
            "tp": p["tp"], "fp": p["fp"], "fn": p["fn"]}


def format_clusters(c: dict[str, Any]) -> str:
    """Clustering (pairwise, B-cubed; all documents and single-event ones) and geocoding."""
    rows = []
    views = (("all documents (strict)", c, c["pairwise"]),
             ("all, multi-event open", c, c["pairwise_multi_event_open"]),
             ("single-event documents", c["single_event_documents"], c["single_event_documents"]["pairwise"]))
    for label, part, pw in views:
        b3 = part["bcubed"]
        rows.append({"clusters": label, "documents": part["documents"], "pairwise_p": _f(pw["precision"]),
                     "pairwise_r": _f(pw["recall"]), "pairwise_f1": _f(pw["f1"]), "bcubed_f1": _f(b3["f1"]),
                     "tp": pw["tp"], "fp": pw["fp"], "fn": pw["fn"]})
    table = format_table(rows, ("clusters", "documents", "pairwise_p", "pairwise_r", "pairwise_f1", "bcubed_f1",
                                "tp", "fp", "fn"), {"clusters": 24})
    g = c["geocoding"]
    geo = (f"home-region geocoding: accuracy {_f(g['accuracy'])} ({g['found']}/{g['gold_regions']} gold regions), "
           f"{_f(g.get('accuracy_detected'))} over documents found relevant ({g.get('gold_regions_detected')}), "
           f"precision {_f(g['precision'])} ({g['output_regions']} output)")
    return (f"{table}\n{c['gold_clusters']} gold clusters, {c['predicted_events']} predicted events\n{geo}")


def format_stream(stream: dict[str, Any]) -> str:
    """Flags per 10,000 posts, then one line per flagged post."""
    lines = [f"stream: {stream['flagged']} of {stream['posts']} posts flagged "
             f"({stream['per_10000']} per 10,000)"]
    for row in stream.get("list", []):
        types = ",".join(row.get("types") or [row.get("type", "")])
        quote = " ".join(str(row.get("quote") or "").split())[:160]
        lines.append(f"  {row['post']}  p={row.get('probability')}  {types}  {row.get('published') or ''}  {quote}")
    return "\n".join(lines)
