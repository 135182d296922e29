"""The control catalogue, the compliance matrix built on it, and the documentation generated from it."""
