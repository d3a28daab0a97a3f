"""The HTTP service (FastAPI) around dispatch/; it also assembles the `dispatch` console command."""
