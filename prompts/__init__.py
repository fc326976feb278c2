"""Every word a member or facilitator hears or reads: one YAML file per language, by key."""
