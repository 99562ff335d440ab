"""The finance UI (issue 15): review CDRs, explain every price, statements per eMSP, exports
and credits. Its own screens, not a second admin: views read `selectors`, write through
`sessions.cdr_services`; access is Django permissions (`access`).

Modules: access (who may see and act), filters (GET parameters → queryset), selectors (SQL
aggregations), explanation (the pricing engine's breakdown in plain words), charts (inline
SVG), exports (CSV/XLSX streamed), demo (priced demo sessions), views, urls.
"""
