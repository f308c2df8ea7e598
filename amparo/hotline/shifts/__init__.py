"""The hotline schedule: weekly rotations and the shifts made from them
(:mod:`.rotations`), coverage gaps and the "on now" panel (:mod:`.coverage`), swaps on
the web and by SMS (:mod:`.swaps`), texts and reminders about shifts
(:mod:`.reminders`), and the iCal feed token (:mod:`.feeds`).

Rotation times are wall-clock times in the network's time zone (``zoneinfo``), so a
"Mondays 18:00–24:00" rotation stays 18:00–24:00 local across a DST change; concrete
shifts are stored in UTC.
"""
