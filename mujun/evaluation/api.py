def register(router) -> None:
    """Viewsets are registered here once the app's API exists."""
