"""Qt item models over the case-record services, one per module. Each fetches from the
store thread through the ``BackgroundRunner`` and never touches the vault itself."""
