"""Pure grid logic: levels, slots, the slot state machine, risk rules. No I/O here."""
