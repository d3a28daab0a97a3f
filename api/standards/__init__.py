"""Service standards of DESIGN.md: supervisor alerts on low scores, follow-up calls after major repairs, daily KPIs."""
