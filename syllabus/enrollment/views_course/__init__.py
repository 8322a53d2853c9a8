"""The course team's pages: participants (and one participant), groups, messages and enrollment options.

Every page answers 404 to people who have nothing to do with the course (another organisation's ids, a learner,
an instructor of another course), as the catalog's authoring pages do, and 403 to people on the course who lack
the page's own right (a reviewer on the participants page, a non-editing instructor on the options)."""
