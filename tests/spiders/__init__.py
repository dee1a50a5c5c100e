"""Spider tests: pure callbacks and real crawls against the fixture site."""
