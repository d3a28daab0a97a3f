"""Tiny named instances shared by the benchmark tests (data only; fixtures live in the tests)."""

from __future__ import annotations

# Three customers, two vans of capacity 10. Customers 1 and 2 cannot share a van (6 + 5 > 10), so the
# optimum is 0 -> 1 -> 3 -> 0 and 0 -> 2 -> 0 (Cost 19.0); see test_solomon for the worked cost.
TINY_SOLOMON = """TINY

VEHICLE
NUMBER     CAPACITY
  2         10

CUSTOMER
CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME

    0      0          0          0          0        100          0
    1      3          4          6          0         50          5
    2      1          1          5         10         20          2
    3      0          7          4          0        100          0
"""

# The same instance in VRPLIB form (nodes numbered from 1, the depot first), with a common service time.
TINY_VRPLIB = """NAME : TINYLIB
TYPE : VRPTW
DIMENSION : 4
VEHICLES : 2
CAPACITY : 10
SERVICE_TIME : 5
EDGE_WEIGHT_TYPE : EUC_2D
NODE_COORD_SECTION
1 0 0
2 3 4
3 1 1
4 0 7
DEMAND_SECTION
1 0
2 6
3 5
4 4
TIME_WINDOW_SECTION
1 0 100
2 0 50
3 10 20
4 0 100
DEPOT_SECTION
1
-1
EOF
"""
