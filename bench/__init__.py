"""`make bench`: the app under its production server against a local fake API, measured.

Run as `python -m bench`; see `bench/__main__.py` for what is measured and how.
"""
