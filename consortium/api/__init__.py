"""The help-desk REST API (SPEC A): `/api/v1/`, `/api/schema/`, `/api/docs/`.
Shared building blocks live in `consortium.api.base`; see docs/api.md."""
