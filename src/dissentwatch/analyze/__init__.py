"""The analyze stage: documents → mentions (event type, fields with evidence) and aggregates.

Components, each with a versioned name recorded on the run and on what it produces:
``normalise`` (a same-length matching view), ``gate`` (cheap high-recall prefilter),
``lexicons`` (data/lexicon.json, word-indexed), ``classify`` (trigger sentences and look-alikes),
``aggregates`` (count statements), ``segment`` (one span per distinct event), ``fields`` (field
extractors), ``embeddings`` (optional fallback), and ``pipeline`` which ties them to the store.
"""
