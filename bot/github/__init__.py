"""The only code that talks to GitHub: reads (releases, tags, merged PRs, compare, runs), writes
(workflow dispatch, comments) and webhook events, through PyGithub."""
