"""crashsh triage: one dump to a verdict (why it died, where, its signature), and a fleet of
dumps grouped by signature."""
