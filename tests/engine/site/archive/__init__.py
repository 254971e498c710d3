"""Models that live in the database alias "other" (testsite.routers.ArchiveRouter)."""
