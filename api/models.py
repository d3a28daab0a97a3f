"""Every table of the service, so that Alembic and the tests see one complete metadata."""

from api.auth.models import LoginFailure, User
from api.customers.models import Customer
from api.db import Base
from api.idempotency import IdempotencyRecord
from api.orders.models import Order
from api.parts.models import Part, StockBalance, StockLocation, StockMovement
from api.technicians.models import Technician

__all__ = ["Base", "Customer", "IdempotencyRecord", "LoginFailure", "Order", "Part", "StockBalance", "StockLocation",
           "StockMovement", "Technician", "User"]
