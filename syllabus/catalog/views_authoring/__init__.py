"""The authoring area's pages (HTML; the REST API is catalog.api): the courses I work on, a course's details,
outline, submit/publish, history and team, and the catalog settings. Reviews: catalog.views_review."""
