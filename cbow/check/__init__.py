"""Proof of the derived gradients: central finite differences against every objective's
analytic gradient (`cbow gradcheck`), and the trained vectors' separation check.

Imports the base, cbow.data and cbow.model.
"""
