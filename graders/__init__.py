"""dl-katas: the grading engine (catalogue, pytest plugin, oracles, checks, CLI)."""
