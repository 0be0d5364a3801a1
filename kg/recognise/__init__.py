"""Recognisers: pure functions from normalised text and context to mentions and relations."""
