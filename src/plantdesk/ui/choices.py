"""Choice lists the pages of several apps offer alike."""

# "For how long, from now": silences, a CI put in maintenance.
DURATIONS = [("30", "30 minutes"), ("60", "1 hour"), ("120", "2 hours"), ("240", "4 hours"), ("480", "8 hours"),
             ("720", "12 hours"), ("1440", "24 hours"), ("4320", "3 days"), ("10080", "7 days")]  # fmt: skip
