"""The course's exchange: its rules for files without a hub, and a real hub attacked by a student."""
