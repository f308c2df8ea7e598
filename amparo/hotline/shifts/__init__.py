"""The hotline schedule: rotations, coverage, swaps, reminders and the iCal feed."""
