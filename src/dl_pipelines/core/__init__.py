"""The small shared core every app uses: settings, seeding, strategy, callbacks, plots, data."""
