"""Looking at a plan: the independent checker (checker.py), KPIs and the objective (kpis.py), maps (mapping.py).

Nothing here imports the solver's search or dispatch.planning, so the checker stays independent of the code
that made the plan.
"""
