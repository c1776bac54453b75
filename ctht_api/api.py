"""The one v1 router: every resource partners integrate against hangs off it."""

from rest_framework.routers import DefaultRouter

router = DefaultRouter()
