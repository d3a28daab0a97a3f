"""Every table of the service, so that Alembic (api/migrations/env.py) and the tests see one complete metadata.

A new `models.py` class is imported here; tests/api/test_migrations.py fails on a table the migrations create
that this module (imported alone) does not register.
"""

from api.auth.models import LoginFailure, User
from api.complaints.models import Complaint
from api.customers.models import Customer
from api.db import Base
from api.idempotency import IdempotencyRecord
from api.live.models import Lease
from api.notify.models import Notification
from api.orders.models import Order
from api.parts.models import Part, StockBalance, StockLocation, StockMovement
from api.plans.models import PlanJob, PublishedPlan, PublishedRoute, PublishedStop
from api.standards.models import FollowUp, KpiDay, ServiceAlert
from api.technicians.models import ShiftDay, Technician
from api.visits.models import DayEvent, Visit

__all__ = ["Base", "Complaint", "Customer", "DayEvent", "FollowUp", "IdempotencyRecord", "KpiDay", "Lease", "LoginFailure", "Notification",
           "Order", "Part", "PlanJob", "PublishedPlan", "PublishedRoute", "PublishedStop", "ServiceAlert",
           "ShiftDay", "StockBalance", "StockLocation", "StockMovement", "Technician", "User", "Visit"]
