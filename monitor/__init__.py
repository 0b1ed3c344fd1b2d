"""pulse monitoring: data monitors, pipeline monitors and alert delivery."""
