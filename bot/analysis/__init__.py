"""Pure analysis over model types: frontiers, comparisons, economics. No I/O."""
