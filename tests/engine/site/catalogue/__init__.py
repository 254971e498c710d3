"""The model catalogue: what real Django projects use, each case filled by fill.py."""
