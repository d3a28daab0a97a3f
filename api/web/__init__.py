"""The faces of the service: server-rendered pages for dispatchers, technicians and storekeepers."""
