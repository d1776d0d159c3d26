"""SigmaHQ contribution: SigmaHQ's CI checks run offline, and the pull request files."""
