"""Parts catalogue and stock locations (central stores, one van per technician).

Stock quantities come from the append-only ledger of movements, which belongs here too (issue 3, item 6).
"""
