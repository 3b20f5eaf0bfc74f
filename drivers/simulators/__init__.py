"""Device simulators speaking the real byte protocols, for tests, the demo and rehearsals."""
