"""Learned judgement: detection, typing and merging models, their trainer and their protocol.

``encoders``  multilingual sentence encoders shipped with their weights (USE m3, e5-small)
``features``  what a document and its sentences look like to the models (vectors + rule signals)
``heads``     small calibrated linear heads (numpy at run time, scikit-learn only to fit)
``artefact``  a trained model on disk: weights, thresholds, data hash, versions, out-of-fold scores
``train``     ``dissentwatch train``: fits the models from gold JSONL, a stream and a store
``folds``     grouped K-fold by occurrence (no occurrence in two folds)
``pairs``     the learned pair scorer of resolve
"""
