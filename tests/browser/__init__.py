"""Browser end-to-end tests: headless Chromium (Debian's, through Playwright) signs on at the example site."""
