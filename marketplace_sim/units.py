"""Units and calendar constants shared by every layer."""

WEEKS_PER_YEAR = 52  # one model step is one week
CENTS = 100  # money is held in integer cents: USD * CENTS
