"""An operation's summary: counts that cannot identify anyone, for coordinators."""
