"""Load and benchmark scripts (``make load``, ``make bench``). Not collected by pytest: no ``test_`` names."""
